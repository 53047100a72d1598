/**
 * The two patch formats kustomize applies: JSON Patch (RFC 6902: add, replace, remove) and JSON
 * Merge Patch (RFC 7386), which kustomize uses for custom resources such as Knative Services.
 * Lists are replaced by a merge patch, not merged by key: kustomize merges lists by key only for
 * built-in kinds, and DDO's merge patches touch ConfigMap data alone.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6902
 * @see https://www.rfc-editor.org/rfc/rfc7386
 */

/** Applies JSON Patch operations to a copy of `target`; throws when one does not apply. */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new Error('a JSON patch must be a list of operations');
  let doc = structuredClone(target);
  for (const raw of operations) {
    const op = raw as { op?: string; path?: string; value?: unknown };
    if (typeof op.path !== 'string') throw new Error('every operation needs a path');
    const tokens = parsePointer(op.path);
    switch (op.op) {
      case 'add':
      case 'replace':
      case 'remove':
        doc = applyOne(doc, tokens, op.op, op.value, op.path);
        break;
      default:
        throw new Error(`the operation ${String(op.op)} is not supported (use add, replace, remove)`);
    }
  }
  return doc;
}

/** Applies a JSON Merge Patch to a copy of `target`. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);

  const out = (isObject(target) ? structuredClone(target) : {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`${pointer} is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function applyOne(
  doc: unknown,
  tokens: string[],
  op: 'add' | 'replace' | 'remove',
  value: unknown,
  where: string,
): unknown {
  if (tokens.length === 0) {
    if (op === 'remove') throw new Error('cannot remove the whole document');
    return structuredClone(value);
  }
  const parent = tokens.slice(0, -1).reduce<unknown>((node, t) => child(node, t, where), doc);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    // add may insert after the last item; replace and remove need an existing one.
    const maxIndex = parent.length - (op === 'add' ? 0 : 1);
    const isInRange = Number.isInteger(index) && index >= 0 && index <= maxIndex;
    if (!isInRange) throw new Error(`${where}: index ${last} is out of range`);
    if (op === 'add') parent.splice(index, 0, structuredClone(value));
    else if (op === 'replace') parent[index] = structuredClone(value);
    else parent.splice(index, 1);
    return doc;
  }
  if (!isObject(parent)) throw new Error(`${where}: the parent is not an object`);
  const obj = parent;
  if (op !== 'add' && !(last in obj)) throw new Error(`${where} does not exist`);
  if (op === 'remove') delete obj[last];
  else obj[last] = structuredClone(value);
  return doc;
}

function child(node: unknown, token: string, where: string): unknown {
  if (Array.isArray(node)) {
    const index = Number(token);
    if (!Number.isInteger(index) || index < 0 || index >= node.length) {
      throw new Error(`${where}: index ${token} is out of range`);
    }
    return node[index];
  }
  if (isObject(node) && token in node) return node[token];
  throw new Error(`${where} does not exist`);
}
