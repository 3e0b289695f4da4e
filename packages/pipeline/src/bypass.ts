/**
 * Bypass (ComfyUI's Ctrl+B): a bypassed node sends nothing; each of its output ports passes on
 * the value of the first linked input that carries the output's type. One rule for the server
 * (validation, engine) and the editor (problems, Run disabled), so both refuse the same bypass.
 */
import { canConnect, type NodeDefinition, type PortType } from '@pikflow/catalog';
import type { PipelineNode, PipelineProblem } from './document.ts';

/** A link into the bypassed node, with the type of the value it carries (its source port's type). */
export interface BypassLink {
  edgeId: string;
  targetHandle: string;
  sourceType: PortType;
}

/**
 * The link each output passes on, or null when no linked input carries the output's type.
 * "Carries" is the connection rule itself: the value could have been linked to that output's
 * consumers directly. Inputs are tried in the node's port order, links in document order, so
 * Gemini's reference image (an image into its image[] port) passes through as its image output.
 */
export function bypassRoutes(def: Pick<NodeDefinition, 'inputs' | 'outputs'>, links: readonly BypassLink[]): Record<string, BypassLink | null> {
  const routes: Record<string, BypassLink | null> = {};
  for (const output of def.outputs) {
    routes[output.name] = null;
    for (const input of def.inputs) {
      const link = links.find((l) => l.targetHandle === input.name && canConnect(l.sourceType, output.type));
      if (link) {
        routes[output.name] = link;
        break;
      }
    }
  }
  return routes;
}

/**
 * Problems of a bypassed node: Input and Output nodes have nothing to pass through, and an output
 * that feeds something downstream needs a same-typed linked input.
 */
export function bypassProblems(
  node: PipelineNode,
  def: Pick<NodeDefinition, 'title' | 'inputs' | 'outputs' | 'execution'>,
  links: readonly BypassLink[],
  usedOutputs: ReadonlySet<string>,
): PipelineProblem[] {
  const who = `"${node.label ?? def.title}" (${node.id})`;
  if (def.execution.kind === 'input' || def.execution.kind === 'output') {
    return [{ code: 'invalid_bypass', nodeId: node.id, field: 'bypass', message: `cannot bypass ${who}: ${def.execution.kind} nodes have nothing to pass through` }];
  }
  const routes = bypassRoutes(def, links);
  return def.outputs
    .filter((output) => usedOutputs.has(output.name) && !routes[output.name])
    .map((output) => ({
      code: 'invalid_bypass' as const,
      nodeId: node.id,
      field: output.name,
      message: `cannot bypass ${who}: output '${output.name}' (${output.type}) has no ${output.type} input to pass through`,
    }));
}
