/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), written from the
 * format's description rather than from what prom-client prints: `# HELP` / `# TYPE` lines, then
 * samples `name{label="value",…} value`. It throws on any line it cannot read, on a sample whose
 * family has no `# TYPE`, on a family declared twice, and on a histogram without `+Inf`, `_sum`
 * and `_count`; so "it parsed" means a Prometheus server would take it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Values are read as Prometheus reads them (Go's ParseFloat): `NaN` and `Inf` in any case. */
const parseValue = (text: string, line: string): number => {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (Number.isNaN(value) || text.trim() === '') throw new Error(`bad sample value in: ${line}`);
  return value;
};

/** `a="x",b="y\"z"` → {a: 'x', b: 'y"z'}; escapes are `\\`, `\"` and `\n`. */
const parseLabels = (text: string, line: string): Record<string, string> => {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name) || text[eq + 1] !== '"') throw new Error(`bad label name in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
      } else {
        value += text[j];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`bad label separator in: ${line}`);
  }
  return labels;
};

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const familyOf = (sampleName: string): Family | undefined => {
    for (const family of families.values()) {
      if (SUFFIXES[family.type].some((suffix) => `${family.name}${suffix}` === sampleName)) return family;
    }
    return undefined;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      if (help !== null) {
        helps.set(help[1] ?? '', help[2] ?? '');
        continue;
      }
      const type = new RegExp(`^# TYPE (${NAME}) (\\w+)$`).exec(line);
      if (type !== null) {
        const [, name = '', kind = ''] = type;
        if (!TYPES.has(kind as MetricType)) throw new Error(`unknown type in: ${line}`);
        if (families.has(name)) throw new Error(`family ${name} declared twice`);
        families.set(name, { name, type: kind as MetricType, help: helps.get(name) ?? '', samples: [] });
      }
      continue; // other comments are allowed
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`unreadable line: ${line}`);
    const [, name = '', labelText, valueText = ''] = match;
    const family = familyOf(name);
    if (family === undefined) throw new Error(`sample ${name} has no # TYPE`);
    family.samples.push({ name, labels: labelText === undefined ? {} : parseLabels(labelText, line), value: parseValue(valueText, line) });
  }
  for (const family of families.values()) {
    if (family.type !== 'histogram' || family.samples.length === 0) continue;
    const names = new Set(family.samples.map((s) => s.name));
    const infinite = family.samples.some((s) => s.name.endsWith('_bucket') && s.labels.le === '+Inf');
    if (!infinite || !names.has(`${family.name}_sum`) || !names.has(`${family.name}_count`)) {
      throw new Error(`histogram ${family.name} lacks +Inf, _sum or _count`);
    }
  }
  return families;
}

/** Sum of the samples named `name` whose labels include `labels`. */
export const sumOf = (families: Map<string, Family>, name: string, labels: Readonly<Record<string, string>> = {}): number =>
  [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);

/** Every label value of every sample: to check no id became a label. */
export const labelValues = (families: Map<string, Family>): string[] =>
  [...families.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
