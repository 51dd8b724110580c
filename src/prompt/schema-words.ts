/**
 * Words of schema names and of questions, normalised so that the two can be compared: case folded,
 * identifiers split at underscores, digits and camelCase humps ("Song_release_year",
 * "CountryName", "FlightNo"), and every word reduced to a crude stem so that plurals and simple
 * inflections meet ("singers" / "singer", "countries" / "country", "ranked" / "ranking" / "rank").
 * The stem only has to agree with itself: both sides go through the same function.
 */

/** Words that carry no schema meaning in a question (function words and question scaffolding). */
const STOPWORDS = new Set(
  (
    'a an the of in on at to for from by with without and or not no nor is are was were be been being am do does did ' +
    'have has had i me my we our you your he she it its they them their this that these those there here which what ' +
    'who whom whose when where why how all any each every some than then also as if into out over under about after ' +
    'before between both same other such only own so too very can will would should could may might must shall just ' +
    'show list give find return tell display get many much please s t'
  ).split(' '),
);

/** Irregular plurals common in questions and schemas. */
const IRREGULAR: Record<string, string> = {
  people: 'person',
  persons: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  feet: 'foot',
  teeth: 'tooth',
  mice: 'mouse',
  indices: 'index',
  data: 'datum',
  criteria: 'criterion',
  media: 'medium',
};

/** A crude stem: plural and -ing/-ed endings removed, so inflections of one word compare equal. */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (IRREGULAR[w]) return IRREGULAR[w]!;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ied') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith('ment') && w.length > 6) w = w.slice(0, -4);
  // "stopped" -> "stopp" -> "stop", "enrolled"/"enrolment" -> "enrol".
  if (/([^aeiou])\1$/.test(w)) w = w.slice(0, -1);
  // "location" -> "locat" like "located"; short words keep it ("station" is not "state").
  if (w.endsWith('ion') && w.length >= 8) w = w.slice(0, -3);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** Words of an identifier: split at non-alphanumerics, letter/digit boundaries and camelCase humps. */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/** Stems of an identifier's words. */
export function identifierStems(name: string): string[] {
  return identifierWords(name).map(stem);
}

export interface QuestionTerms {
  /** Stems of the question's content words (stopwords removed). */
  stems: Set<string>;
  /** Each content word's stem followed by the next one's, joined: "car maker" -> "carmaker". */
  compounds: Set<string>;
  /** Text between quotes ('...', "...", or curly quotes). */
  quoted: string[];
  /** Numbers written in the question. */
  numbers: number[];
}

/** What of a question can be linked to a schema. */
export function questionTerms(question: string): QuestionTerms {
  const quoted = [...question.matchAll(/'([^']+)'|"([^"]+)"|\u2018([^\u2019]+)\u2019|\u201c([^\u201d]+)\u201d/g)].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4])!.trim()).filter((s) => s !== '');
  const numbers = [...question.matchAll(/(?<![\w.])(\d+(?:\.\d+)?)(?![\w.]*[A-Za-z])/g)].map((m) => Number(m[1]));
  const words = identifierWords(question).filter((w) => !STOPWORDS.has(w));
  const stems = words.map(stem);
  const compounds = new Set<string>();
  for (let i = 0; i + 1 < words.length; i++) compounds.add(stem(words[i]! + words[i + 1]!));
  return { stems: new Set(stems), compounds, quoted, numbers };
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word.toLowerCase());
}
