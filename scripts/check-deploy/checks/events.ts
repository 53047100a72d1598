/**
 * Triggers against the event catalogue (shared/events/catalogue.ts): every type the code emits
 * that has consumers reaches each of them through a Trigger, and every Trigger routes a type the
 * code emits to a consumer the catalogue names.
 *
 * A type whose catalogue entry lists no consumers (dev.ddo.run.completed and .failed) is
 * published for systems outside DDO. DDO's manifests hold no Trigger for it, because a Trigger
 * needs a subscriber and DDO has none; a subscribing system applies its own Trigger on the broker
 * from its own manifests, which this check does not read.
 */
import type { ProfileContext } from '../context';
import { dig, ofKind, strings, text } from '../objects';
import { Findings } from '../report';
import type { Violation } from '../violation';

const DEFAULT_TRIGGERS_FILE = 'knative/triggers.yaml';

/** Checks that Triggers and the catalogue agree, both ways. */
export function checkEvents(ctx: ProfileContext): Violation[] {
  const found = new Findings();
  const triggers = ofKind(ctx.manifests, 'Trigger', 'eventing.knative.dev').map((t) => ({
    manifest: t,
    type: strings(dig(t.body, 'spec', 'filter', 'attributes')).type,
    subscriber: text(dig(t.body, 'spec', 'subscriber', 'ref', 'name')),
  }));
  const serviceOf = (id: string): string =>
    ctx.facts.functions.find((f) => f.id === id)?.service ?? `ddo-${id}`;

  for (const t of triggers) {
    const report = found.about(t.manifest);
    if (t.type === undefined) {
      const fix = 'Add spec.filter.attributes.type';
      report('It has no type filter, so it delivers every event on the broker', fix);
      continue;
    }
    const def = ctx.facts.catalogue.find((d) => d.type === t.type);
    if (!def || def.producers.length === 0) {
      report(
        `It routes ${t.type}, which no code emits (it is not in shared/events/catalogue.ts)`,
        'Remove the Trigger, or add the type and its producer to the catalogue',
      );
      continue;
    }
    const consumers = def.consumers.map(serviceOf);
    if (t.subscriber === undefined || consumers.includes(t.subscriber)) continue;
    report(
      `It delivers ${t.type} to ${t.subscriber}, which the catalogue does not list as a consumer`,
      consumers.length === 0
        ? `Remove it: ${t.type} is published for systems outside DDO, which apply their own Triggers`
        : `Deliver it to ${consumers.join(' or ')}, or add the consumer to the catalogue`,
    );
  }

  const file = triggers[0]?.manifest.file ?? DEFAULT_TRIGGERS_FILE;
  for (const def of ctx.facts.catalogue) {
    const emitters = def.producers.filter((p) => p !== 'external');
    for (const consumer of def.consumers.map(serviceOf)) {
      if (triggers.some((t) => t.type === def.type && t.subscriber === consumer)) continue;
      const by = emitters.length > 0 ? `is emitted by ${emitters.join(', ')} and` : 'is';
      found.at(
        file,
        'Trigger/(none)',
        `${def.type} ${by} consumed by ${consumer}, but no Trigger delivers it there`,
        `Add a Trigger on broker default with filter type ${def.type} and subscriber ${consumer}`,
      );
    }
  }
  return found.list;
}
