/** Small DOM helpers shared by the pages. */

/** The element with this id; a missing one is a bug in the page's HTML, so it throws. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`assert: the page has no #${id}`);
  return e as T;
}

type Child = Node | string | null | undefined | false;

/** `el('td', { className: 'x' }, 'text', child…)`: an element with properties and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(e, rest);
  if (dataset) Object.assign(e.dataset, dataset);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** The page's status badge (and `body[data-state]`, which tests and styles read). */
export function setStatus(kind: string, text: string): void {
  const s = $('status');
  s.className = `status ${kind}`;
  s.textContent = text;
  document.body.dataset.state = kind;
}

export function showMessage(text: string): void {
  const m = $('message');
  m.textContent = text;
  m.hidden = false;
}
