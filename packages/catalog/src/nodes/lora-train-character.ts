import { z } from 'zod';
import { enumOf } from './shared-fields.ts';
import { defineFreepikTaskNode } from '../freepik-task.ts';

export const loraTrainCharacter = defineFreepikTaskNode({
  id: 'freepik.lora-train-character',
  title: 'Train LoRA character',
  category: 'lora',
  description:
    'Starts training a custom Mystic character from 8–20 public image URLs. Training takes long; follow it in "List LoRAs".',
  inputs: [
    { name: 'images', type: 'image[]', label: 'Training images', required: true, accepts: 'url', minItems: 8, maxItems: 20 },
  ],
  outputs: [
    { name: 'task_id', type: 'text', label: 'Training task id' },
    { name: 'status', type: 'text', label: 'Status' },
  ],
  params: z.object({
    name: z.string().min(1, 'name the character').describe('Use it as @name in Mystic prompts'),
    quality: enumOf(['high', 'ultra']),
    gender: enumOf(['male', 'female', 'neutral', 'custom']),
    description: z.string().optional(),
  }),
  task: {
    path: '/v1/ai/loras/characters',
    // No status route per training ("check v1/ai/loras", S4:985): returns once training is accepted.
    mode: 'sync',
    body: ({ params, inputs }) => ({ ...params, images: inputs.images }),
    extract: (task) => ({ task_id: task.taskId, status: task.status }),
  },
  summaryParams: ['name', 'quality', 'gender'],
  // Training makes a new LoRA each time (an effect, not just a result): never served from cache.
  cache: false,
});
