import { describe, expect, it } from 'vitest';
import { extractSql } from '../../../src/prompt/extract-sql';
import { groundingOf, schemaGroundingReward } from '../../../src/rewards/schema-grounding-reward';
import { parseSchema } from '../../../src/sql/schema';

const CONTEXT =
  'CREATE TABLE patients (patient_id INTEGER, age INTEGER, admission_date TEXT, name TEXT); CREATE TABLE visit (visit_id INTEGER, visit_date TEXT, status TEXT, patient_id INTEGER, doctor_id INTEGER)';
const schema = parseSchema(CONTEXT);

describe('groundingOf', () => {
  it('finds every name of a correct join query (aliases, qualified columns, functions skipped)', () => {
    // Names: T1.name (2), patients, T1, visit, T2, T1.patient_id (2), T2.patient_id (2), T1.name (2); aliases T1/T2 after AS are definitions.
    const g = groundingOf('SELECT T1.name, COUNT(*) FROM patients AS T1 JOIN visit AS T2 ON T1.patient_id = T2.patient_id GROUP BY T1.name', schema);
    expect(g.unknown).toEqual([]);
    expect(g.names).toBe(10);
  });

  it('names the tables and columns the schema does not have', () => {
    const g = groundingOf('SELECT full_name FROM patient WHERE age > 30 ORDER BY admission_date', schema);
    expect(g.names).toBe(4);
    expect(g.unknown).toEqual(['full_name', 'patient']);
  });

  it('checks a qualified column against its own table, not any table', () => {
    // visit_date is a column of visit, not of patients.
    const g = groundingOf('SELECT p.visit_date FROM patients p', schema);
    expect(g.unknown).toEqual(['visit_date']);
    expect(g.names).toBe(3);
  });

  it('accepts column aliases used later and quoted identifiers', () => {
    const g = groundingOf('SELECT status, COUNT(*) AS n FROM "visit" GROUP BY status ORDER BY n DESC', schema);
    expect(g).toEqual({ names: 4, unknown: [] });
  });
});

describe('schemaGroundingReward', () => {
  const score = (completion: string) => schemaGroundingReward.score({ example: { question: 'q', context: CONTEXT, answer: 'SELECT 1' }, completion, extracted: extractSql(completion), execution: null });

  it('scores the share of known names', () => {
    expect(score('<SOLUTION>SELECT name FROM patients</SOLUTION>').score).toBe(1);
    expect(score('<SOLUTION>SELECT full_name FROM patients</SOLUTION>').score).toBe(0.5);
    expect(score('<SOLUTION>SELECT full_name FROM appointments</SOLUTION>').score).toBe(0);
  });

  it('gives 0 without SQL', () => {
    const r = score('I do not know.');
    expect(r.score).toBe(0);
    expect(r.details.verdict).toBe('no SQL found');
  });
});
