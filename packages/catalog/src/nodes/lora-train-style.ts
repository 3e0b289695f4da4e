import { z } from 'zod';
import { enumOf } from './shared-fields.ts';
import { defineFreepikTaskNode } from '../freepik-task.ts';

export const loraTrainStyle = defineFreepikTaskNode({
  id: 'freepik.lora-train-style',
  title: 'Train LoRA style',
  category: 'lora',
  description:
    'Starts training a custom Mystic style from 6–20 public image URLs. Training takes long; follow it in "List LoRAs".',
  inputs: [
    { name: 'images', type: 'image[]', label: 'Training images', required: true, accepts: 'url', minItems: 6, maxItems: 20 },
  ],
  outputs: [
    { name: 'task_id', type: 'text', label: 'Training task id' },
    { name: 'status', type: 'text', label: 'Status' },
  ],
  params: z.object({
    name: z.string().min(1, 'name the style').describe('Identifies the style in styling.styles'),
    quality: enumOf(['medium', 'high', 'ultra']),
    description: z.string().optional(),
  }),
  task: {
    path: '/v1/ai/loras/styles',
    // Freepik has no status route per training ("check v1/ai/loras", S4:839), so the node
    // returns once training is accepted instead of waiting hours.
    mode: 'sync',
    body: ({ params, inputs }) => ({ ...params, images: inputs.images }),
    extract: (task) => ({ task_id: task.taskId, status: task.status }),
  },
  summaryParams: ['name', 'quality'],
  // Training makes a new LoRA each time (an effect, not just a result): never served from cache.
  cache: false,
});
