/**
 * Checks a pipeline document and reports every problem at once, each pinned to
 * the node, edge and field a designer should look at. The editor runs this on
 * every change and the server on every save and run, so the two always agree.
 */
import { connectionProblem, getNode as catalogGetNode } from '@pikflow/catalog';
import type { InputPort, NodeDefinition, PortType } from '@pikflow/catalog';
import { z } from 'zod';
import {
  PIPELINE_DOCUMENT_VERSION,
  pipelineAnnotationSchema,
  pipelineEdgeSchema,
  pipelineNodeSchema,
  type PipelineAnnotation,
  type PipelineDocument,
  type PipelineEdge,
  type PipelineNode,
  type PipelineProblem,
} from './document.ts';
import { bypassProblems, type BypassLink } from './bypass.ts';
import { buildGraph, findCycles } from './graph.ts';
import { DEFAULT_MAX_TEXT_LENGTH, readImageReference } from './run-inputs.ts';
import { checkImageUrl } from './url-safety.ts';

/** One input of the REST trigger, derived from an input node. */
export interface RunInputSpec {
  name: string;
  type: PortType;
  nodeId: string;
  /** True when the input node has no default value: callers must send it. */
  required: boolean;
  /** The input node's default value, used when a caller omits the input. */
  default?: unknown;
  description?: string;
}

export interface RunOutputSpec {
  name: string;
  nodeId: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: PipelineProblem[];
  /** The parsed document (defaults filled in); present whenever its shape was readable. */
  document?: PipelineDocument;
  inputs: RunInputSpec[];
  outputs: RunOutputSpec[];
  /** A zod object for the REST inputs: strings for images (asset id, URL or data URI) and text. */
  inputSchema: z.ZodObject;
}

export interface ValidateOptions {
  /** Look up node types somewhere other than the catalog registry (tests, plugins). */
  getNode?: (type: string) => NodeDefinition | undefined;
  /** Let default image URLs point at loopback/private hosts (tests only). */
  allowPrivateUrls?: boolean;
}

const MAX_NODES = 500;
const MAX_EDGES = 2000;

export function validatePipeline(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const getNode = options.getNode ?? catalogGetNode;
  const problems: PipelineProblem[] = [];
  const add = (problem: PipelineProblem) => problems.push(problem);

  const read = readDocument(input, add);
  if (!read) return result(problems, undefined, [], []);
  const { doc, unreadableNodes } = read;

  // Ids first: everything after addresses nodes and edges by id.
  const nodes = new Map<string, PipelineNode>();
  for (const node of doc.nodes) {
    if (nodes.has(node.id)) {
      add({ code: 'duplicate_id', nodeId: node.id, message: `Two nodes share the id "${node.id}"; node ids must be unique` });
      continue;
    }
    nodes.set(node.id, node);
  }
  const edgeIds = new Set<string>();
  const validEdges: PipelineEdge[] = [];
  // Links that reach a real input port, even if they fail otherwise: that input counts as linked.
  const reachingEdges: PipelineEdge[] = [];
  for (const edge of doc.edges) {
    if (edgeIds.has(edge.id)) {
      add({ code: 'duplicate_id', edgeId: edge.id, message: `Two links share the id "${edge.id}"; link ids must be unique` });
      continue;
    }
    edgeIds.add(edge.id);
    // A node whose own entry is unreadable was reported already; its links would only repeat that.
    if (unreadableNodes.has(edge.source) || unreadableNodes.has(edge.target)) continue;
    const verdict = checkEdge(edge, nodes, getNode, add);
    if (verdict === 'valid') validEdges.push(edge);
    if (verdict !== 'invalid') reachingEdges.push(edge);
  }

  // Links arriving per node and port, in document order (image[] lists keep it).
  const linksInto = new Map<string, Map<string, PipelineEdge[]>>();
  for (const edge of reachingEdges) {
    const ports = linksInto.get(edge.target) ?? new Map<string, PipelineEdge[]>();
    linksInto.set(edge.target, ports);
    ports.set(edge.targetHandle, [...(ports.get(edge.targetHandle) ?? []), edge]);
  }

  const inputs: RunInputSpec[] = [];
  const outputs: RunOutputSpec[] = [];
  const inputNames = new Map<string, string>();
  const outputNames = new Map<string, string>();
  for (const node of nodes.values()) {
    const def = getNode(node.type);
    if (!def) {
      add({
        code: 'unknown_node_type',
        nodeId: node.id,
        field: 'type',
        message: `${describeNode(node)} has type "${node.type}", which is not in the catalog`,
      });
      continue;
    }
    const links = linksInto.get(node.id) ?? new Map<string, PipelineEdge[]>();
    checkLinkCounts(node, def, links, add);
    if (node.bypass) {
      // Nothing of a bypassed node is sent, so its settings and required inputs do not matter.
      const passing: BypassLink[] = validEdges
        .filter((e) => e.target === node.id)
        .map((e) => ({ edgeId: e.id, targetHandle: e.targetHandle, sourceType: sourcePortType(e, nodes, getNode) as PortType }));
      const used = new Set(validEdges.filter((e) => e.source === node.id).map((e) => e.sourceHandle));
      bypassProblems(node, def, passing, used).forEach(add);
      continue;
    }
    const params = checkParams(node, def, links, add, options);
    checkRequiredInputs(node, def, links, params, add, (edge) => sourcePortType(edge, nodes, getNode) === 'image[]');

    if (def.execution.kind === 'input') {
      const name = typeof params.name === 'string' ? params.name : undefined;
      if (name === undefined) continue;
      const other = inputNames.get(name);
      if (other !== undefined) {
        add({
          code: 'duplicate_input_name',
          nodeId: node.id,
          field: 'name',
          message: `${describeNode(node)} is named "${name}" like ${describeNode(nodes.get(other)!)}; input names must be unique`,
        });
        continue;
      }
      inputNames.set(name, node.id);
      inputs.push(inputSpec(node, def, name, params));
    } else if (def.execution.kind === 'output') {
      const name = typeof params.name === 'string' ? params.name : undefined;
      if (name === undefined) continue;
      const other = outputNames.get(name);
      if (other !== undefined) {
        add({
          code: 'duplicate_output_name',
          nodeId: node.id,
          field: 'name',
          message: `${describeNode(node)} is named "${name}" like ${describeNode(nodes.get(other)!)}; output names must be unique`,
        });
        continue;
      }
      outputNames.set(name, node.id);
      outputs.push({ name, nodeId: node.id });
    }
  }

  const hasOutputNode = [...nodes.values()].some((n) => getNode(n.type)?.execution.kind === 'output');
  if (!hasOutputNode) {
    add({ code: 'no_output', message: 'The pipeline has no Output node: add one so a run has a result to return' });
  }

  for (const cycle of findCycles(buildGraph({ nodes: [...nodes.values()], edges: validEdges }))) {
    add({
      code: 'cycle',
      nodeId: cycle[0],
      message:
        cycle.length === 2
          ? `${cycle[0]} is linked to itself; a node cannot use its own result`
          : `These nodes form a loop: ${cycle.join(' → ')}; a node cannot depend on its own result`,
    });
  }

  return result(problems, doc, inputs, outputs);
}

function result(
  problems: PipelineProblem[],
  document: PipelineDocument | undefined,
  inputs: RunInputSpec[],
  outputs: RunOutputSpec[],
): ValidationResult {
  return { ok: problems.length === 0, problems, document, inputs, outputs, inputSchema: runInputSchema(inputs) };
}

/** A node as a designer sees it in the editor: its own label, else its id. */
export function describeNode(node: Pick<PipelineNode, 'id' | 'label'>): string {
  return node.label ? `"${node.label}" (${node.id})` : `node ${node.id}`;
}

// ---------------------------------------------------------------------------
// Document shape

/**
 * Reads nodes and edges one by one so a single malformed entry does not hide
 * the problems of all the others. Returns undefined only when there is no list
 * of nodes or edges to read at all.
 */
function readDocument(
  input: unknown,
  add: (p: PipelineProblem) => void,
): { doc: PipelineDocument; unreadableNodes: Set<string> } | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    add({ code: 'invalid_document', message: 'A pipeline must be a JSON object with "nodes" and "edges"' });
    return undefined;
  }
  const raw = input as Record<string, unknown>;
  let readable = true;
  if (raw.version !== undefined && raw.version !== PIPELINE_DOCUMENT_VERSION) {
    add({
      code: 'invalid_document',
      field: 'version',
      message: `This pipeline has format version ${JSON.stringify(raw.version)}; only version ${PIPELINE_DOCUMENT_VERSION} is supported`,
    });
  }
  for (const key of ['nodes', 'edges'] as const) {
    if (!Array.isArray(raw[key])) {
      add({ code: 'invalid_document', field: key, message: `A pipeline needs a "${key}" list` });
      readable = false;
    }
  }
  if (!readable) return undefined;
  const rawNodes = raw.nodes as unknown[];
  const rawEdges = raw.edges as unknown[];
  if (rawNodes.length > MAX_NODES) {
    add({ code: 'invalid_document', field: 'nodes', message: `A pipeline may have at most ${MAX_NODES} nodes (this one has ${rawNodes.length})` });
    return undefined;
  }
  if (rawEdges.length > MAX_EDGES) {
    add({ code: 'invalid_document', field: 'edges', message: `A pipeline may have at most ${MAX_EDGES} links (this one has ${rawEdges.length})` });
    return undefined;
  }

  const nodes: PipelineNode[] = [];
  const unreadableNodes = new Set<string>();
  rawNodes.forEach((rawNode, i) => {
    const parsed = pipelineNodeSchema.safeParse(rawNode);
    if (parsed.success) nodes.push(parsed.data);
    else {
      const nodeId = idOf(rawNode);
      if (nodeId) unreadableNodes.add(nodeId);
      for (const issue of parsed.error.issues) {
        const field = issue.path.map(String).join('.');
        add({
          code: 'invalid_document',
          ...(nodeId ? { nodeId } : {}),
          ...(field ? { field } : {}),
          message: `${nodeId ? `node ${nodeId}` : `node #${i + 1}`}: ${shapeMessage(field, issue, rawNode)}`,
        });
      }
    }
  });
  const edges: PipelineEdge[] = [];
  rawEdges.forEach((rawEdge, i) => {
    const parsed = pipelineEdgeSchema.safeParse(rawEdge);
    if (parsed.success) edges.push(parsed.data);
    else {
      const edgeId = idOf(rawEdge);
      for (const issue of parsed.error.issues) {
        const field = issue.path.map(String).join('.');
        add({
          code: 'invalid_document',
          ...(edgeId ? { edgeId } : {}),
          ...(field ? { field } : {}),
          message: `${edgeId ? `link ${edgeId}` : `link #${i + 1}`}: ${shapeMessage(field, issue, rawEdge)}`,
        });
      }
    }
  });
  const annotations = readAnnotations(raw.annotations, add);
  return { doc: { version: PIPELINE_DOCUMENT_VERSION, nodes, edges, ...(annotations ? { annotations } : {}) }, unreadableNodes };
}

/** Notes and group frames: only their shape is checked, they take no part in a run. */
function readAnnotations(input: unknown, add: (p: PipelineProblem) => void): PipelineAnnotation[] | undefined {
  if (input === undefined) return undefined;
  const parsed = z.array(pipelineAnnotationSchema).max(MAX_NODES).safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues.slice(0, 5)) {
    const field = ['annotations', ...issue.path.map(String)].join('.');
    add({ code: 'invalid_document', field, message: `${field}: ${issue.message}` });
  }
  return undefined;
}

function idOf(value: unknown): string | undefined {
  const id = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

function shapeMessage(field: string, issue: z.core.$ZodIssue, entry: unknown): string {
  const what = field || 'the entry';
  if (issue.code === 'invalid_type') {
    // zod does not echo the input in issues; read it from the entry.
    let received: unknown = entry;
    for (const key of issue.path) received = typeof received === 'object' && received !== null ? (received as Record<PropertyKey, unknown>)[key] : undefined;
    if (received === undefined) return `${what} is missing`;
    return `${what} must be ${expectedText(issue.expected)}, not ${typeName(received)}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'string') return `${what} must not be empty`;
  if (issue.code === 'too_big' && issue.origin === 'string') return `${what} must be at most ${issue.maximum} characters`;
  return `${what}: ${issue.message}`;
}

// ---------------------------------------------------------------------------
// Links

/**
 * Reports what is wrong with one link. 'valid': it joins two real, compatible
 * ports; 'reaches-input': it fails but does arrive at a real input port;
 * 'invalid': anything else.
 */
function checkEdge(
  edge: PipelineEdge,
  nodes: Map<string, PipelineNode>,
  getNode: (type: string) => NodeDefinition | undefined,
  add: (p: PipelineProblem) => void,
): 'valid' | 'reaches-input' | 'invalid' {
  const source = nodes.get(edge.source);
  const target = nodes.get(edge.target);
  if (!source || !target) {
    for (const [end, id] of [['comes from', edge.source], ['goes to', edge.target]] as const) {
      if (nodes.has(id)) continue;
      const other = end === 'comes from' ? target : source;
      add({
        code: 'missing_node',
        edgeId: edge.id,
        ...(other ? { nodeId: other.id } : {}),
        field: end === 'comes from' ? 'source' : 'target',
        message: `Link ${edge.id} ${end} node "${id}", which does not exist`,
      });
    }
    return 'invalid';
  }
  const sourceDef = getNode(source.type);
  const targetDef = getNode(target.type);
  let ok = Boolean(sourceDef && targetDef);
  const outPort = sourceDef?.outputs.find((p) => p.name === edge.sourceHandle);
  if (sourceDef && !outPort) {
    add({
      code: 'unknown_port',
      nodeId: source.id,
      edgeId: edge.id,
      field: edge.sourceHandle,
      message: `${describeNode(source)} (${sourceDef.title}) has no output "${edge.sourceHandle}"${listPorts('outputs', sourceDef.outputs)}`,
    });
    ok = false;
  }
  const inPort = targetDef?.inputs.find((p) => p.name === edge.targetHandle);
  if (targetDef && !inPort) {
    add({
      code: 'unknown_port',
      nodeId: target.id,
      edgeId: edge.id,
      field: edge.targetHandle,
      message: `${describeNode(target)} (${targetDef.title}) has no input "${edge.targetHandle}"${listPorts('inputs', targetDef.inputs)}`,
    });
    ok = false;
  }
  if (outPort && inPort) {
    const problem = connectionProblem(outPort.type, inPort.type);
    if (problem) {
      add({
        code: 'type_mismatch',
        nodeId: target.id,
        edgeId: edge.id,
        field: edge.targetHandle,
        message: `Link ${edge.id} cannot join ${describeNode(source)}.${edge.sourceHandle} to ${describeNode(target)}.${edge.targetHandle}: ${problem}`,
      });
      ok = false;
    }
  }
  return ok ? 'valid' : inPort ? 'reaches-input' : 'invalid';
}

function listPorts(kind: string, ports: { name: string }[]): string {
  return ports.length ? ` (its ${kind}: ${ports.map((p) => p.name).join(', ')})` : ` (it has no ${kind})`;
}

/** Only list ports take several links, and no more than the endpoint accepts. */
function checkLinkCounts(
  node: PipelineNode,
  def: NodeDefinition,
  links: Map<string, PipelineEdge[]>,
  add: (p: PipelineProblem) => void,
): void {
  for (const [portName, edges] of links) {
    const port = def.inputs.find((p) => p.name === portName)!;
    if (port.type === 'image[]') {
      if (port.maxItems !== undefined && edges.length > port.maxItems) {
        add({
          code: 'too_many_links',
          nodeId: node.id,
          edgeId: edges[port.maxItems]!.id,
          field: portName,
          message: `${describeNode(node)}: the ${portName} input takes at most ${port.maxItems} images, but ${edges.length} are linked`,
        });
      }
    } else if (edges.length > 1) {
      add({
        code: 'multiple_links',
        nodeId: node.id,
        edgeId: edges[1]!.id,
        field: portName,
        message: `${describeNode(node)}: the ${portName} input has ${edges.length} links (from ${edges.map((e) => e.source).join(', ')}); it takes only one`,
      });
    }
  }
}

function sourcePortType(
  edge: PipelineEdge,
  nodes: Map<string, PipelineNode>,
  getNode: (type: string) => NodeDefinition | undefined,
): string | undefined {
  const source = nodes.get(edge.source);
  return source ? getNode(source.type)?.outputs.find((o) => o.name === edge.sourceHandle)?.type : undefined;
}

function checkRequiredInputs(
  node: PipelineNode,
  def: NodeDefinition,
  links: Map<string, PipelineEdge[]>,
  params: Record<string, unknown>,
  add: (p: PipelineProblem) => void,
  carriesList: (edge: PipelineEdge) => boolean,
): void {
  for (const port of def.inputs) {
    const edges = links.get(port.name) ?? [];
    const linked = edges.length;
    // A link from an image[] output carries any number of images: only the run can count them.
    const countKnown = !edges.some(carriesList);
    if (port.type === 'image[]' && port.minItems !== undefined && countKnown && linked > 0 && linked < port.minItems) {
      add({
        code: 'missing_input',
        nodeId: node.id,
        field: port.name,
        message: `${describeNode(node)}: the ${port.name} input needs at least ${port.minItems} images, but ${linked} ${linked === 1 ? 'is' : 'are'} linked`,
      });
    }
    if (!port.required || linked > 0) continue;
    if (port.name in def.params.shape && isSet(params[port.name])) continue;
    add({
      code: 'missing_input',
      nodeId: node.id,
      field: port.name,
      message: `${describeNode(node)} (${def.title}) needs its ${port.name} input: link ${article(port)} to it${
        port.name in def.params.shape ? ` or set ${port.name}` : ''
      }`,
    });
  }
}

function article(port: InputPort): string {
  const what = port.type === 'image[]' ? 'image' : port.type === 'any' ? 'value' : port.type;
  return /^[aeiou]/.test(what) ? `an ${what}` : `a ${what}`;
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== '';

// ---------------------------------------------------------------------------
// Params

/**
 * Parses the node's params with its own schema. A param whose same-named input
 * port is linked gets its value from the link at run time, so it is not
 * checked here. Returns the parsed params (defaults filled) as far as they parse.
 */
function checkParams(
  node: PipelineNode,
  def: NodeDefinition,
  links: Map<string, PipelineEdge[]>,
  add: (p: PipelineProblem) => void,
  options: ValidateOptions,
): Record<string, unknown> {
  const shape = def.params.shape as Record<string, z.ZodType>;
  const linked = new Set([...links.keys()].filter((name) => name in shape));
  for (const key of Object.keys(node.params)) {
    if (key in shape) continue;
    const known = Object.keys(shape);
    add({
      code: 'unknown_param',
      nodeId: node.id,
      field: key,
      message: `${describeNode(node)} (${def.title}) has no setting "${key}"${known.length ? ` (its settings: ${known.join(', ')})` : ''}`,
    });
  }

  const parsed: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    if (linked.has(key)) continue;
    const r = schema.safeParse(node.params[key]);
    if (r.success) {
      if (r.data !== undefined) parsed[key] = r.data;
      continue;
    }
    let message = paramMessage(key, schema, r.error.issues, node.params[key]);
    if (node.params[key] === undefined && def.inputs.some((p) => p.name === key)) message += ` (set it or link the ${key} input)`;
    add({ code: 'invalid_param', nodeId: node.id, field: key, message: `${describeNode(node)}: ${message}` });
  }

  // A default image on an input node is fetched by the server: hold it to the URL rules now.
  if (def.execution.kind === 'input' && def.outputs[0]?.type === 'image' && typeof parsed.image === 'string') {
    const problem = imageDefaultProblem(parsed.image, options);
    if (problem) add({ code: 'invalid_param', nodeId: node.id, field: 'image', message: `${describeNode(node)}: ${problem}` });
  }
  if (def.execution.kind === 'input' || def.execution.kind === 'output') {
    const name = parsed.name;
    if (typeof name === 'string' && RESERVED_NAMES.has(name)) {
      add({
        code: 'invalid_param',
        nodeId: node.id,
        field: 'name',
        message: `${describeNode(node)}: the name "${name}" is reserved (it would clash with JavaScript object internals); choose another name`,
      });
    }
  }
  // (An input node's default image was checked just above, with the run-input rules.)
  const { image: _default, ...others } = parsed;
  for (const problem of paramUrlProblems(def.execution.kind === 'input' ? others : parsed, options)) {
    add({ code: 'invalid_param', nodeId: node.id, field: problem.field, message: `${describeNode(node)}: ${problem.message}` });
  }
  return parsed;
}

/** Names an input or output may not have: as keys of the inputs/outputs objects they break. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Longest prompt where the endpoint documents no limit of its own (the text-input limit). */
export const MAX_PROMPT_LENGTH = DEFAULT_MAX_TEXT_LENGTH;

// Any scheme with `//`, a protocol-relative `//host`, and fetchable schemes even without
// slashes (WHATWG reads `http:/127.0.0.1` as http://127.0.0.1/).
const LOOKS_LIKE_URL = /^\s*(?:[a-z][a-z0-9+.-]*:\/\/|\/\/|(?:https?|ftps?|file|gopher|wss?|dict|ldap|tftp|jar|netdoc):)/i;

/**
 * Every URL in a node's settings, however deep (Relight's light reference, style and
 * structure references, list entries): Freepik — or the bundled simulator, on this
 * machine — fetches them, so they obey the same rules as a run's image URLs (no
 * loopback, private or metadata addresses, http(s) only). Long prompts are refused too.
 */
function paramUrlProblems(params: Record<string, unknown>, options: ValidateOptions): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = Object.entries(params).map(([k, v]) => ({ value: v, path: k, depth: 0 }));
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (LOOKS_LIKE_URL.test(value)) {
        const problem = checkImageUrl(value.trim().startsWith('//') ? `http:${value.trim()}` : value.trim(), { allowPrivate: options.allowPrivateUrls });
        if (problem) problems.push({ field: path, message: `${path}: ${problem.replace(/^image URLs/, 'URLs')}` });
      } else if (/prompt/i.test(path) && value.length > MAX_PROMPT_LENGTH) {
        problems.push({ field: path, message: `${path} must be at most ${MAX_PROMPT_LENGTH} characters (it has ${value.length})` });
      }
    } else if (typeof value === 'object' && value !== null && depth < 32) {
      for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, depth: depth + 1 });
    }
  }
  return problems.reverse();
}

function imageDefaultProblem(value: string, options: ValidateOptions): string | null {
  if (value.trim() === '') return null; // an empty default means "no default"
  const ref = readImageReference(value, { allowPrivateUrls: options.allowPrivateUrls });
  if (typeof ref !== 'string') return null;
  return /^(image URLs|data URIs)/.test(ref) ? ref : `image ${ref}`;
}

/** The one sentence for a param that does not parse, naming the field and what it allows. */
export function paramMessage(field: string, schema: z.ZodType, issues: readonly z.core.$ZodIssue[], value: unknown): string {
  const issue = issues[0];
  if (!issue) return `${field} is not valid`;
  // An error inside an object or list param (e.g. Mystic's styling.styles[0].name):
  // name the inner field and describe the inner value, not the whole param.
  if (issue.path.length > 0) {
    const inner = issue.path.reduce<unknown>((v, key) => (v as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey], value);
    const where = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
    return paramMessage(`${field}${where}`, z.unknown(), [{ ...issue, path: [] }], inner);
  }
  if (value === undefined && issue.code === 'invalid_type') return `${field} is required`;
  switch (issue.code) {
    case 'too_big': {
      const range = rangeText(schema);
      if (issue.origin === 'string') return `${field} must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `${field} may have at most ${issue.maximum} items`;
      return `${field} must be at most ${issue.maximum}${range ? ` (allowed: ${range})` : ''}`;
    }
    case 'too_small': {
      const range = rangeText(schema);
      if (issue.origin === 'string') {
        if (isCustom(issue.message)) return withField(field, issue.message);
        return Number(issue.minimum) <= 1 ? `${field} must not be empty` : `${field} must be at least ${issue.minimum} characters`;
      }
      if (issue.origin === 'array') return `${field} needs at least ${issue.minimum} items`;
      return `${field} must be at least ${issue.minimum}${range ? ` (allowed: ${range})` : ''}`;
    }
    case 'invalid_type': {
      const range = issue.expected === 'int' ? rangeText(schema) : undefined;
      return `${field} must be ${expectedText(issue.expected)}${range ? ` (allowed: ${range})` : ''}, not ${typeName(value)}`;
    }
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      // Describe the branch whose type matched the value (e.g. the number branch for 17 or 1.5).
      for (const branch of issue.errors) {
        const first = branch[0];
        if (first && first.code !== 'invalid_type') return paramMessage(field, schema, branch, value);
      }
      for (const branch of issue.errors) {
        const first = branch[0];
        if (first?.code === 'invalid_type' && sameKind(first.expected, value)) {
          const range = rangeText(schema);
          return `${field} must be ${expectedText(first.expected)}${range ? ` (allowed: ${range})` : ''}, not ${typeName(value)}`;
        }
      }
      const expected = issue.errors.map((b) => b[0]).filter((i) => i?.code === 'invalid_type').map((i) => expectedText((i as { expected: string }).expected));
      return `${field} must be ${expected.length ? expected.join(' or ') : 'a valid value'}, not ${typeName(value)}`;
    }
    case 'invalid_format':
      return isCustom(issue.message) ? withField(field, issue.message) : `${field} is not a valid ${issue.format}`;
    default:
      return withField(field, issue.message);
  }
}

function sameKind(expected: string, value: unknown): boolean {
  if (expected === 'int' || expected === 'number') return typeof value === 'number';
  if (expected === 'string') return typeof value === 'string';
  if (expected === 'boolean') return typeof value === 'boolean';
  if (expected === 'array') return Array.isArray(value);
  return false;
}

/** zod's built-in messages start like these; anything else was written in a node file for designers. */
function isCustom(message: string): boolean {
  return !/^(Too (big|small)|Invalid|Expected|Unrecognized)/.test(message);
}

function withField(field: string, message: string): string {
  return message.startsWith(field) ? message : `${field}: ${message}`;
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'an object';
    default:
      return expected;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `${value}` : `${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** "0–100" for number params with both bounds, read from the schema itself. */
function rangeText(schema: z.ZodType): string | undefined {
  let inner: z.ZodType = schema;
  for (let i = 0; i < 5; i++) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) {
      inner = inner.unwrap() as z.ZodType;
    } else break;
  }
  if (inner instanceof z.ZodUnion) {
    const num = (inner.options as z.ZodType[]).find((o) => o instanceof z.ZodNumber);
    if (num) inner = num;
  }
  if (inner instanceof z.ZodNumber) {
    const { minValue, maxValue } = inner;
    if (minValue !== null && maxValue !== null && Number.isFinite(minValue) && Number.isFinite(maxValue)) return `${minValue}–${maxValue}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// REST inputs

function inputSpec(node: PipelineNode, def: NodeDefinition, name: string, params: Record<string, unknown>): RunInputSpec {
  const port = def.outputs[0]!;
  // The default value lives in the param named like the node's output (image, text).
  const fallback = params[port.name];
  const description = (def.params.shape as Record<string, z.ZodType>)[port.name]?.description;
  return {
    name,
    type: port.type,
    nodeId: node.id,
    required: !isSet(fallback),
    ...(isSet(fallback) ? { default: fallback } : {}),
    ...(description ? { description } : {}),
  };
}

function runInputSchema(inputs: RunInputSpec[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const spec of inputs) {
    let field: z.ZodType;
    if (spec.type === 'image') field = z.string().describe('An asset id, an http(s) image URL or a data:image/…;base64 URI');
    else if (spec.type === 'image[]') field = z.array(z.string());
    else if (spec.type === 'text') field = z.string();
    else if (spec.type === 'number') field = z.number();
    else field = z.unknown();
    shape[spec.name] = spec.required ? field : field.optional();
  }
  return z.object(shape).strict();
}
