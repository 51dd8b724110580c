/**
 * Schema linking from the question alone: word normalisation, inferred joins, link scores and the
 * keep order of tables. Schemas here are written for the tests (Spider-like shapes, no FK clauses
 * unless the case is about them).
 */
import { describe, expect, it } from 'vitest';
import { LINK_THRESHOLD, RELATIVE_LINK_THRESHOLD, rankTables } from '../../../src/prompt/prune-schema';
import { schemaJoins } from '../../../src/prompt/schema-joins';
import { linkQuestion } from '../../../src/prompt/schema-link';
import { identifierWords, questionTerms, stem } from '../../../src/prompt/schema-words';
import { parseSchema } from '../../../src/sql/schema';

const tablesOf = (context: string) => parseSchema(context).tables;
const scores = (question: string, context: string) => Object.fromEntries(linkQuestion(question, tablesOf(context)).map((l) => [l.table, l.score]));

describe('schema words', () => {
  it('splits identifiers at underscores, camelCase humps and digits', () => {
    expect(identifierWords('Song_release_year')).toEqual(['song', 'release', 'year']);
    expect(identifierWords('CountryName')).toEqual(['country', 'name']);
    expect(identifierWords('FlightNo')).toEqual(['flight', 'no']);
    expect(identifierWords('MPG')).toEqual(['mpg']);
    expect(identifierWords('HTMLParser2x')).toEqual(['html', 'parser', '2', 'x']);
  });

  it('gives inflections of a word one stem', () => {
    const same = [
      ['singers', 'singer'],
      ['countries', 'country'],
      ['addresses', 'address'],
      ['matches', 'match'],
      ['enrolled', 'enrolment'],
      ['enrollment', 'enrolment'],
      ['ranking', 'ranked'],
      ['located', 'location'],
      ['people', 'person'],
    ];
    for (const [a, b] of same) expect(stem(a!), `${a} / ${b}`).toBe(stem(b!));
    for (const [a, b] of [['singer', 'song'], ['state', 'station'], ['name', 'number']]) expect(stem(a!)).not.toBe(stem(b!));
  });

  it('takes quoted values and numbers from a question, and drops function words', () => {
    const q = questionTerms(`Which cartoons aired on "Sky Radio" after 2014 or with 3.5 stars, like 'Blue'?`);
    expect(q.quoted).toEqual(['Sky Radio', 'Blue']);
    expect(q.numbers).toEqual([2014, 3.5]);
    expect(q.stems.has(stem('cartoons'))).toBe(true);
    expect(q.stems.has('which')).toBe(false);
    expect(q.compounds.has(stem('skyradio'))).toBe(true);
  });
});

describe('schemaJoins', () => {
  it('reads declared foreign keys and infers joins from column names', () => {
    const joins = schemaJoins(
      tablesOf(
        'CREATE TABLE stadium (stadium_id INTEGER, name VARCHAR); CREATE TABLE concert (concert_id INTEGER, Stadium_ID VARCHAR); ' +
          'CREATE TABLE continents (ContId INTEGER, Continent VARCHAR); CREATE TABLE countries (CountryId INTEGER, Continent INTEGER); ' +
          'CREATE TABLE addresses (address_id INTEGER, city VARCHAR); CREATE TABLE students (student_id INTEGER, permanent_address_id INTEGER); ' +
          'CREATE TABLE orders (id INTEGER, buyer INTEGER, FOREIGN KEY (buyer) REFERENCES students (student_id)); ' +
          'CREATE TABLE enrolment (student_id INTEGER, course_code VARCHAR); CREATE TABLE courses2 (course_code VARCHAR, id INTEGER)',
      ),
    );
    const pairs = joins.map((j) => [j.from, j.to].sort().join('-')).sort();
    expect(pairs).toEqual(
      [
        'concert-stadium', // concert.Stadium_ID names stadium
        'continents-countries', // countries.Continent names continents
        'addresses-students', // permanent_address_id ends with a table name and a key word
        'orders-students', // declared
        'enrolment-students', // same key column student_id
        'courses2-enrolment', // same key column course_code
      ].sort(),
    );
    expect(joins.find((j) => j.from === 'orders')!.via).toMatch(/foreign key/);
    // A bare "id" in two tables is each one's own key, not a join.
    expect(pairs).not.toContain('courses2-orders');
  });
});

describe('linkQuestion', () => {
  const kennel =
    'CREATE TABLE Owners (owner_id INTEGER, first_name VARCHAR, last_name VARCHAR, state VARCHAR); ' +
    'CREATE TABLE Professionals (professional_id INTEGER, first_name VARCHAR, last_name VARCHAR, state VARCHAR); ' +
    'CREATE TABLE Dogs (dog_id INTEGER, owner_id INTEGER, name VARCHAR, date_of_birth VARCHAR); ' +
    'CREATE TABLE Treatments (treatment_id INTEGER, dog_id INTEGER, professional_id INTEGER, cost_of_treatment INTEGER); ' +
    'CREATE TABLE Treatment_Types (treatment_type_code VARCHAR, treatment_type_description VARCHAR)';

  it('links tables named in the question, plural or not, above the threshold; others score 0', () => {
    const s = scores('How many dogs does each owner have?', kennel);
    expect(s.Dogs).toBeGreaterThan(LINK_THRESHOLD);
    expect(s.Owners).toBeGreaterThan(LINK_THRESHOLD);
    expect(s.Professionals).toBe(0);
    expect(s.Treatment_Types).toBe(0);
  });

  it('credits a column word to the table the question names, not to every table with that column', () => {
    const s = scores('List the last name and state of all professionals.', kennel);
    expect(s.Professionals).toBeGreaterThan(LINK_THRESHOLD);
    expect(s.Owners).toBe(0);
    // With no table named, the shared columns link both.
    const both = scores('Which last names appear in more than one state?', kennel);
    expect(both.Owners).toBeGreaterThan(LINK_THRESHOLD);
    expect(both.Owners).toBeCloseTo(both.Professionals!, 10);
  });

  it('links by a column alone, weighting words that few tables share', () => {
    const s = scores('What is the most expensive cost of treatment?', kennel);
    expect(s.Treatments).toBeGreaterThan(LINK_THRESHOLD);
    const byBirth = scores('Which dogs were born before the date of birth of the oldest one?', kennel);
    expect(byBirth.Dogs).toBeGreaterThan(byBirth.Owners!);
  });

  it('does not count a word of a table name for a longer name that merely contains it', () => {
    const s = scores('How many treatments were there?', kennel);
    expect(s.Treatments).toBeGreaterThan(LINK_THRESHOLD);
    expect(s.Treatment_Types).toBe(0);
    expect(scores('List every treatment type description.', kennel).Treatment_Types).toBeGreaterThan(s.Treatments!);
  });

  it("does not credit a table for a column that names another table (a dog's owner_id is about owners)", () => {
    const s = scores('Show the owners.', kennel);
    expect(s.Owners).toBeGreaterThan(LINK_THRESHOLD);
    expect(s.Dogs).toBe(0);
  });

  it('matches camelCase and abbreviated schema names', () => {
    const cars = 'CREATE TABLE continents (ContId INTEGER, Continent VARCHAR); CREATE TABLE car_makers (Id INTEGER, Maker VARCHAR, FullName VARCHAR); CREATE TABLE cars_data (Id INTEGER, Horsepower INTEGER, Year INTEGER)';
    const s = scores('What is the full name of each car maker?', cars);
    expect(s.car_makers).toBeGreaterThan(s.cars_data!);
    expect(s.continents).toBe(0);
    expect(scores('Which car has the most horse power?', cars).cars_data).toBeGreaterThan(LINK_THRESHOLD);
    expect(scores('List each cont id.', cars).continents).toBeGreaterThan(0);
  });

  it('uses a year in the question to break a tie between tables with a year column or not', () => {
    const ctx = 'CREATE TABLE a (x_name VARCHAR, year INTEGER); CREATE TABLE b (x_name VARCHAR, size INTEGER)';
    const s = scores('Which x name appears in 2014?', ctx);
    expect(s.a).toBeGreaterThan(s.b!);
    expect(linkQuestion('Which x name appears in 2014?', tablesOf(ctx))[0]!.matches).toContain('year 2014 -> year');
  });
});

describe('rankTables', () => {
  const size = (t: { source: string }) => t.source.length;
  it('keeps linked tables, then the join table between them, then neighbours, then the rest', () => {
    const ctx =
      'CREATE TABLE singer (singer_id INTEGER, name VARCHAR); CREATE TABLE concert (concert_id INTEGER, concert_name VARCHAR, stadium_id INTEGER); ' +
      'CREATE TABLE singer_in_concert (singer_id INTEGER, concert_id INTEGER); CREATE TABLE stadium (stadium_id INTEGER, capacity INTEGER); ' +
      'CREATE TABLE weather (day VARCHAR, rain INTEGER)';
    const ranked = rankTables('List the names of singers and the names of the concerts they sang in.', tablesOf(ctx), size);
    expect(ranked.map((r) => [r.table.name, r.role])).toEqual([
      ['singer', 'linked'],
      ['concert', 'linked'],
      ['singer_in_concert', 'bridge'],
      ['stadium', 'neighbour'],
      ['weather', 'unlinked'],
    ]);
    expect(ranked[2]!.why).toContain('joins singer-concert');
    expect(ranked[3]!.why).toContain('joins concert');
  });

  it('does not keep a table the question links to far more weakly than its main table', () => {
    const ctx =
      'CREATE TABLE flights (flight_no INTEGER, origin VARCHAR, destination VARCHAR, departure_date VARCHAR, price INTEGER); ' +
      'CREATE TABLE crew (crew_id INTEGER, pilot_name VARCHAR, rank VARCHAR); CREATE TABLE airports (code VARCHAR, city VARCHAR)';
    const question = 'List the origin, destination, departure date and price of every flight with a pilot.';
    const links = Object.fromEntries(linkQuestion(question, tablesOf(ctx)).map((l) => [l.table, l.score]));
    expect(links.crew).toBeGreaterThanOrEqual(LINK_THRESHOLD);
    expect(links.crew).toBeLessThan(RELATIVE_LINK_THRESHOLD * links.flights!);
    const ranked = rankTables(question, tablesOf(ctx), size);
    expect(ranked.map((r) => [r.table.name, r.role])).toEqual([
      ['flights', 'linked'],
      ['crew', 'unlinked'], // kept before airports when it fits, never at the cost of a refusal
      ['airports', 'unlinked'],
    ]);
  });
});
