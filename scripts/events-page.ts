/**
 * docs/events.md: the event catalogue as a page people read. One table of every event, then
 * one section per event with its route, its `data` fields and the full JSON Schema.
 */
import {
  EVENT_SOURCE_PREFIX,
  PURPOSE_ATTRIBUTE,
  type EventDefinition,
} from '../shared/events/catalogue';

type Json = Record<string, unknown>;

const INTRO = [
  'Every hop between the phases of a run is a',
  '[CloudEvent 1.0](https://github.com/cloudevents/spec) sent over HTTP in binary content mode:',
  'the attributes are `ce-` headers and the body is the `data` as JSON. Events go to the broker',
  'ingress (locally `http://127.0.0.1:8090/ddo/default`) and Knative Triggers deliver them by',
  '`type`. Receivers validate `data` against the schemas below and refuse an event that fails',
  'with a `400` naming the field; such an event ends in the dead-letter sink with that reason.',
  '',
  `- **Headers:** \`ce-specversion: 1.0\`, \`ce-id\`, \`ce-source\``,
  `  (DDO's services use \`${EVENT_SOURCE_PREFIX}/<service>\`), \`ce-type\`,`,
  '  `content-type: application/json`, and the W3C trace context in `ce-traceparent` and',
  '  `ce-tracestate` (the distributed-tracing extension), so one run is one trace.',
  '- **Delivery** is at least once. Handlers are idempotent on `ce-source` and `ce-id`:',
  '  sending the same event again changes nothing.',
  `- **\`${PURPOSE_ATTRIBUTE}\`** (\`plan\` or \`reflect\`) routes model turns back to whoever`,
  '  asked for them.',
  '',
  'The same catalogue as an AsyncAPI 3.0 document: [asyncapi.yaml](asyncapi.yaml).',
];

/** Renders the page for `catalogue`, with `banner` saying how it was made. */
export function renderEventsPage(catalogue: readonly EventDefinition[], banner: string): string {
  const index = catalogue.map((d) => {
    const [link, from] = [`[\`${d.type}\`](#${anchor(d.type)})`, d.producers.join(', ')];
    return `| ${link} | ${from} | ${d.consumers.join(', ') || 'subscribers'} | ${cell(d.summary)} |`;
  });
  const lines = [
    '# DDO events',
    '',
    `<!-- ${banner} -->`,
    '',
    ...INTRO,
    '',
    '| type | from | to | meaning |',
    '|---|---|---|---|',
    ...index,
  ];
  for (const def of catalogue) lines.push('', ...section(def));
  return `${lines.join('\n')}\n`;
}

function section(def: EventDefinition): string[] {
  const schema = def.schema as Json;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const properties = (schema.properties as Record<string, Json> | undefined) ?? {};
  const to = def.consumers.join(', ') || 'any subscriber (no DDO trigger)';
  const row = ([name, prop]: [string, Json]) => {
    const isRequired = required.has(name) ? 'yes' : 'no';
    return `| \`${name}\` | ${typeOf(prop)} | ${isRequired} | ${cell(constraintsOf(prop))} |`;
  };
  return [
    `## ${def.type}`,
    '',
    def.summary,
    '',
    `From ${def.producers.join(', ')} to ${to}.`,
    '',
    '| field | type | required | constraints |',
    '|---|---|---|---|',
    ...Object.entries(properties).map(row),
    '',
    '<details><summary>JSON Schema of <code>data</code></summary>',
    '',
    '```json',
    JSON.stringify(schema, null, 2),
    '```',
    '',
    '</details>',
  ];
}

/** A short type description: `string`, `integer`, `array of object`, `one of: plan, reflect`. */
function typeOf(prop: Json): string {
  if (Array.isArray(prop.enum)) return `one of: ${prop.enum.map(String).map(code).join(', ')}`;
  if (prop.type === 'array') return `array of ${prop.items ? typeOf(prop.items as Json) : 'any'}`;
  if (typeof prop.type === 'string') return prop.type;
  return 'any JSON';
}

function constraintsOf(prop: Json): string {
  const out: string[] = [];
  if (typeof prop.pattern === 'string') out.push(`pattern ${code(prop.pattern)}`);
  if (typeof prop.minLength === 'number') out.push(`at least ${prop.minLength} characters`);
  if (typeof prop.maxLength === 'number') out.push(`at most ${prop.maxLength} characters`);
  if (typeof prop.minimum === 'number') out.push(`≥ ${prop.minimum}`);
  if (typeof prop.maximum === 'number') out.push(`≤ ${prop.maximum}`);
  if (typeof prop.maxItems === 'number') out.push(`at most ${prop.maxItems} items`);
  if (prop.type === 'object' && prop.properties) {
    out.push(`fields ${Object.keys(prop.properties as Json).map(code).join(', ')}`);
  }
  return out.join('; ');
}

const code = (s: string) => `\`${s}\``;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function anchor(heading: string): string {
  // GitHub's heading anchors: lower case, punctuation other than '-' and '_' dropped.
  return heading.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}
