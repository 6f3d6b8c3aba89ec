import vm from "node:vm";

/**
 * Just enough of a browser to run the console's app.js in a node:vm context against a running
 * console: elements that hold children, attributes, classes, values and listeners; text nodes;
 * `document`, `window`, `location.hash` (hashchange fires on a later turn, as in a browser),
 * timers, and `fetch` aimed at the console. What a test reads back is what a user would see: the
 * text of elements, which ones exist, what a click or a form submit changes.
 */

export class FakeNode {
  parent: FakeElement | null = null;

  get textContent(): string {
    return "";
  }
}

export class FakeText extends FakeNode {
  readonly data: string;

  constructor(data: string) {
    super();
    this.data = data;
  }

  override get textContent(): string {
    return this.data;
  }
}

type Listener = (event: unknown) => void;

export class FakeElement extends FakeNode {
  readonly tagName: string;
  childNodes: FakeNode[] = [];
  readonly attributes = new Map<string, string>();
  readonly dataset: Record<string, string> = {};
  readonly listeners = new Map<string, Listener[]>();
  className = "";
  value = "";
  hidden = false;
  /** How many times replaceChildren ran: a view was rendered. */
  replaced = 0;
  readonly classList = {
    toggle: (name: string, force?: boolean): void => {
      const has = this.classes().includes(name);
      const want = force ?? !has;
      if (want && !has) this.className = [...this.classes(), name].join(" ");
      if (!want && has)
        this.className = this.classes()
          .filter((c) => c !== name)
          .join(" ");
    },
    contains: (name: string): boolean => this.classes().includes(name),
  };

  constructor(tagName: string) {
    super();
    this.tagName = tagName.toUpperCase();
  }

  classes(): string[] {
    return this.className.split(/\s+/).filter(Boolean);
  }

  setAttribute(name: string, value: unknown): void {
    const text = String(value);
    if (name === "class") this.className = text;
    else if (name === "value") this.value = text;
    else if (name.startsWith("data-"))
      this.dataset[name.slice(5).replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())] = text;
    this.attributes.set(name, text);
  }

  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }

  append(...nodes: (FakeNode | string)[]): void {
    for (const n of nodes) {
      const node = typeof n === "string" ? new FakeText(n) : n;
      node.parent?.removeChild(node);
      node.parent = this;
      this.childNodes.push(node);
    }
  }

  replaceChildren(...nodes: (FakeNode | string)[]): void {
    for (const c of this.childNodes) c.parent = null;
    this.childNodes = [];
    this.append(...nodes);
    this.replaced++;
  }

  removeChild(node: FakeNode): void {
    this.childNodes = this.childNodes.filter((c) => c !== node);
    node.parent = null;
  }

  remove(): void {
    this.parent?.removeChild(this);
  }

  after(node: FakeNode): void {
    const parent = this.parent;
    if (parent === null) return;
    node.parent?.removeChild(node);
    node.parent = parent;
    parent.childNodes.splice(parent.childNodes.indexOf(this) + 1, 0, node);
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  /** Runs the element's listeners for `type`, as a user's click or submit would. */
  dispatch(type: string): void {
    for (const l of this.listeners.get(type) ?? []) l({ type, target: this, preventDefault() {} });
  }

  override get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join("");
  }

  override set textContent(text: string) {
    this.replaceChildren(text);
  }

  get children(): FakeElement[] {
    return this.childNodes.filter((c): c is FakeElement => c instanceof FakeElement);
  }

  /**
   * Descendants matching a selector of `tag`, `.class` or `tag.class` parts, space-separated for
   * descendants (what app.js and the tests use); "" matches every element.
   */
  querySelectorAll(selector: string): FakeElement[] {
    const [first = "", ...rest] = selector.trim().split(/\s+/);
    const [tag, ...classes] = first.split(".");
    const out: FakeElement[] = [];
    const walk = (e: FakeElement) => {
      for (const c of e.children) {
        if ((tag === "" || c.tagName === tag?.toUpperCase()) && classes.every((k) => c.classList.contains(k)))
          out.push(c);
        walk(c);
      }
    };
    walk(this);
    if (rest.length === 0) return out;
    return [...new Set(out.flatMap((e) => e.querySelectorAll(rest.join(" "))))];
  }

  querySelector(selector: string): FakeElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

export interface FakePage {
  main: FakeElement;
  status: FakeElement;
  readonly hash: string;
  setHash(hash: string): void;
  /** Waits until the view has been rendered more than `count` times; answers the new count. */
  rendered(count: number): Promise<number>;
  /** Timers app.js has pending (a polled view keeps one). */
  pendingTimers(): number;
  close(): void;
}

/** Runs `script` (app.js) in a fake page at `hash`, its requests going to `baseUrl`. */
export function runPage(script: string, baseUrl: string, hash: string): FakePage {
  const body = new FakeElement("body");
  const header = new FakeElement("header");
  const status = new FakeElement("span");
  status.setAttribute("id", "status");
  header.append(new FakeElement("nav"), status);
  const main = new FakeElement("main");
  main.setAttribute("id", "main");
  body.append(header, main);
  const byId = (id: string): FakeElement | null => {
    const all = [body, ...body.querySelectorAll("")];
    return all.find((e) => e.getAttribute("id") === id) ?? null;
  };
  const windowListeners = new Map<string, Listener[]>();
  const timers = new Set<NodeJS.Timeout>();
  let currentHash = hash;
  const location = {
    get hash() {
      return currentHash;
    },
    set hash(value: string) {
      const next = value.startsWith("#") ? value : `#${value}`;
      if (next === currentHash) return;
      currentHash = next;
      setImmediate(() => {
        for (const l of windowListeners.get("hashchange") ?? []) l({ type: "hashchange" });
      });
    },
  };
  const context = vm.createContext({
    Node: FakeNode,
    URLSearchParams,
    console,
    location,
    document: {
      createElement: (tag: string) => new FakeElement(tag),
      createElementNS: (_ns: string, tag: string) => new FakeElement(tag),
      createTextNode: (text: string) => new FakeText(text),
      getElementById: byId,
      querySelectorAll: (selector: string) => body.querySelectorAll(selector),
    },
    window: {
      addEventListener: (type: string, l: Listener) =>
        windowListeners.set(type, [...(windowListeners.get(type) ?? []), l]),
    },
    fetch: (path: string, init?: RequestInit) => fetch(new URL(path, baseUrl), init),
    setTimeout: (fn: () => void, ms: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
      return timer;
    },
    clearTimeout: (timer: NodeJS.Timeout) => {
      clearTimeout(timer);
      timers.delete(timer);
    },
  });
  vm.runInContext(script, context, { filename: "app.js" });
  return {
    main,
    status,
    get hash() {
      return currentHash;
    },
    setHash: (value: string) => {
      location.hash = value;
    },
    rendered: async (count: number) => {
      for (let i = 0; i < 500 && main.replaced <= count; i++) await new Promise((r) => setTimeout(r, 10));
      if (main.replaced <= count) throw new Error(`the view was not rendered again: ${main.textContent}`);
      return main.replaced;
    },
    pendingTimers: () => timers.size,
    close: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      windowListeners.clear();
    },
  };
}
