import { z } from 'zod';
import { defineNode } from '../define-node.ts';
import { dataOf, isRecord } from './shared-fields.ts';

export const lorasList = defineNode({
  id: 'freepik.loras-list',
  title: 'List LoRAs',
  category: 'lora',
  description: "Lists Mystic's built-in LoRA styles/characters and your trained ones with their training status.",
  inputs: [],
  outputs: [
    { name: 'loras', type: 'json', label: 'LoRAs', description: '{default: [...], customs: [...]}' },
    { name: 'names', type: 'text', label: 'Names', description: 'One name per line, for styling or @name in Mystic prompts' },
  ],
  params: z.object({}),
  execution: {
    kind: 'http',
    service: 'freepik',
    mode: 'sync',
    request: () => ({ method: 'GET', path: '/v1/ai/loras' }),
    extract: (task) => {
      const data = dataOf(task);
      const all = isRecord(data) ? [data.default, data.customs].flatMap((l) => (Array.isArray(l) ? l : [])) : [];
      return { loras: data, names: all.map((l) => (isRecord(l) ? String(l.name) : '')).filter(Boolean).join('\n') };
    },
  },
  // The list changes whenever a LoRA is trained: reuse it for a minute at most.
  cache: { ttlSeconds: 60 },
});
