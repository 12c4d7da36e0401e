// docs.js renders /api/v1/openapi.json as a reference page: one card per
// operation (who may call it, parameters, body, answers), grouped by tag.
// Everything is built with textContent, so nothing in the document runs.

const statusEl = document.getElementById('docs-status');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c != null) node.append(c);
  return node;
}

// prose turns `code` spans into <code>; the rest stays text.
function prose(text = '') {
  const p = el('p');
  text.split(/(`[^`]+`)/).forEach((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) p.append(el('code', {}, part.slice(1, -1)));
    else p.append(part);
  });
  return p;
}

function resolve(doc, obj) {
  let seen = 0;
  while (obj && obj.$ref && seen++ < 20) {
    obj = obj.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return obj || {};
}

// shape writes a schema as an indented outline: name: type (required) — description.
function shape(doc, schema, indent = '', depth = 0) {
  const ref = schema?.$ref ? schema.$ref.split('/').pop() : '';
  const s = resolve(doc, schema);
  const type = [].concat(s.type || (s.properties ? 'object' : s.allOf ? 'object' : s.anyOf || s.oneOf ? 'one of' : 'any')).join(' | ');
  let out = (ref ? `${ref} ` : '') + type;
  if (s.enum) out += ` (${s.enum.map((v) => JSON.stringify(v)).join(', ')})`;
  if (s.description && depth > 0) out += ` — ${s.description.split('\n')[0]}`;
  if (depth > 4 || (ref && depth > 1 && ['Record', 'Error', 'FieldError', 'User'].includes(ref))) return out;
  const lines = [];
  const props = {};
  const required = new Set(s.required || []);
  for (const part of s.allOf || []) {
    const r = resolve(doc, part);
    Object.assign(props, r.properties || {});
    (r.required || []).forEach((x) => required.add(x));
  }
  Object.assign(props, s.properties || {});
  for (const [name, sub] of Object.entries(props)) {
    lines.push(`${indent}  ${name}${required.has(name) ? '*' : ''}: ${shape(doc, sub, indent + '  ', depth + 1)}`);
  }
  if (s.items) lines.push(`${indent}  []: ${shape(doc, s.items, indent + '  ', depth + 1)}`);
  for (const alt of s.oneOf || s.anyOf || []) lines.push(`${indent}  | ${shape(doc, alt, indent + '  ', depth + 1)}`);
  if (s.additionalProperties && typeof s.additionalProperties === 'object' && !Object.keys(props).length) {
    lines.push(`${indent}  {name}: ${shape(doc, s.additionalProperties, indent + '  ', depth + 1)}`);
  }
  return lines.length ? `${out}\n${lines.join('\n')}` : out;
}

function schemaBlock(doc, content) {
  const [type, media] = Object.entries(content || {})[0] || [];
  if (!type) return null;
  return el('div', {}, el('div', { class: 'schema', tabindex: '0', role: 'region', 'aria-label': `${type} schema` },
    `${type}\n${shape(doc, media.schema || {})}`));
}

function operationCard(doc, path, method, item, op, id) {
  const card = el('section', { class: 'op', id, 'aria-labelledby': `${id}-h` });
  card.append(el('h3', { id: `${id}-h` }, el('span', { class: 'method' }, method.toUpperCase()), path));
  if (op.summary) card.append(prose(op.summary));
  if (op.description) card.append(prose(op.description));
  const roles = op['x-roles'] || [];
  card.append(el('p', { class: 'roles' }, el('strong', {}, 'Who: '), roles.join('; ') || '—'));

  const params = [...(item.parameters || []), ...(op.parameters || [])].map((p) => resolve(doc, p));
  if (params.length) {
    const body = el('tbody');
    for (const p of params) {
      body.append(el('tr', {}, el('td', {}, el('code', {}, p.name)), el('td', {}, p.in + (p.required ? ', required' : '')),
        el('td', {}, shape(doc, p.schema || {}, '', 1)), el('td', {}, p.description || '')));
    }
    card.append(el('h4', {}, 'Parameters'), el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `${method.toUpperCase()} ${path} parameters` },
      el('table', {}, el('thead', {}, el('tr', {}, ...['Name', 'In', 'Type', 'Notes'].map((h) => el('th', { scope: 'col' }, h)))), body)));
  }
  if (op.requestBody) {
    const rb = resolve(doc, op.requestBody);
    card.append(el('h4', {}, `Body${rb.required ? '' : ' (optional)'}`), schemaBlock(doc, rb.content));
  }
  card.append(el('h4', {}, 'Answers'));
  const list = el('dl');
  for (const [status, ref] of Object.entries(op.responses || {})) {
    const r = resolve(doc, ref);
    const isError = status >= '400';
    list.append(el('dt', {}, el('strong', {}, status), ' ', r.description || ''));
    if (!isError) list.append(el('dd', {}, schemaBlock(doc, r.content)));
  }
  card.append(list, el('p', { class: 'roles' }, 'Errors (4xx, 5xx) have the Error shape below.'));
  return card;
}

async function main() {
  let doc;
  try {
    const res = await fetch('/api/v1/openapi.json');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = await res.json();
  } catch (err) {
    statusEl.textContent = `The description could not be loaded: ${err.message}`;
    return;
  }
  document.getElementById('docs-intro').after(prose(doc.info?.description?.replace(/\n/g, ' ') || ''));
  const byTag = new Map((doc.tags || []).map((t) => [t.name, []]));
  let n = 0;
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, item, op, id: op.operationId || `op${n}` });
      n++;
    }
  }
  const toc = el('ul');
  const ops = document.getElementById('docs-ops');
  for (const [tag, list] of byTag) {
    if (!list.length) continue;
    const section = el('section', { 'aria-labelledby': `tag-${tag}` }, el('h2', { id: `tag-${tag}` }, tag));
    const meta = (doc.tags || []).find((t) => t.name === tag);
    if (meta?.description) section.append(prose(meta.description));
    for (const o of list) {
      section.append(operationCard(doc, o.path, o.method, o.item, o.op, o.id));
      toc.append(el('li', {}, el('a', { href: `#${o.id}` }, `${o.method.toUpperCase()} ${o.path}`)));
    }
    ops.append(section);
  }
  const errors = el('section', { 'aria-labelledby': 'tag-errors' }, el('h2', { id: 'tag-errors' }, 'The Error shape'),
    el('div', { class: 'schema', tabindex: '0', role: 'region', 'aria-label': 'Error schema' },
      shape(doc, { $ref: '#/components/schemas/Error' })));
  ops.append(errors);
  document.getElementById('docs-toc').append(toc);
  statusEl.textContent = `${n} operations.`;
}

main();
