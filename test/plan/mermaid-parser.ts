/**
 * Mermaid's own flowchart parser (the `mermaid` package), run in Node. Mermaid sanitizes
 * labels with DOMPurify, which needs a DOM: jsdom's window is lent to the global scope only
 * while mermaid loads (DOMPurify keeps the window it finds then) and removed afterwards.
 */

export interface ParsedFlowchart {
  readonly diagramType: string;
  /** Node id → label text. */
  readonly vertices: Map<string, string>;
  readonly edges: readonly { start: string; end: string; text: string; stroke: string }[];
  readonly subgraphs: readonly { id: string; title: string; nodes: readonly string[] }[];
}

interface FlowDb {
  getVertices(): Map<string, { id: string; text?: string }>;
  getEdges(): { start: string; end: string; text?: string; stroke?: string }[];
  getSubGraphs(): { id: string; title: string; nodes: string[] }[];
}

interface MermaidApi {
  parse(text: string): Promise<{ diagramType: string }>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ db: unknown }> };
}

let loaded: MermaidApi | undefined;

function loadMermaid(): MermaidApi {
  if (loaded) return loaded;
  // Required here, not imported: mermaid must load while jsdom's window is lent to the global scope.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JSDOM } = require("jsdom") as { JSDOM: new (html: string) => { window: unknown } };
  const g = globalThis as { window?: unknown };
  const had = "window" in g;
  g.window = new JSDOM("").window;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("mermaid") as { default?: MermaidApi } & MermaidApi;
    loaded = mod.default ?? mod;
  } finally {
    if (!had) delete g.window;
  }
  return loaded;
}

/** Parses with Mermaid; throws Mermaid's own error on invalid syntax. */
export async function parseFlowchart(text: string): Promise<ParsedFlowchart> {
  const mermaid = loadMermaid();
  const { diagramType } = await mermaid.parse(text);
  const db = (await mermaid.mermaidAPI.getDiagramFromText(text)).db as FlowDb;
  return {
    diagramType,
    vertices: new Map([...db.getVertices().values()].map((v) => [v.id, v.text ?? v.id])),
    edges: db
      .getEdges()
      .map((e) => ({ start: e.start, end: e.end, text: e.text ?? "", stroke: e.stroke ?? "normal" })),
    subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, title: s.title, nodes: [...s.nodes] })),
  };
}
