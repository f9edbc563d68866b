/** A few DOM helpers: the page is small enough that plain elements read better than a framework (README says why). */

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/** `el('button', { class: 'btn', onclick: f }, 'Save')`: attributes, `on*` listeners, then children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A status line: role=status for screen readers; kind picks the colour. */
export function notice(kind: 'info' | 'success' | 'error' | 'warning', text: string, testId?: string): HTMLElement {
  return el(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testId },
    text,
  );
}
