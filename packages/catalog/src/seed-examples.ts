/**
 * The example requests and answers the seed documents show, endpoint by endpoint, with
 * where each is (S0 = shared/seeds/000…, S1 = 001…, S3 = 003…, S4 = 004…). Copied from
 * the seeds as they are, placeholders (`<string>`, truncated base64) included; large stock
 * answers are trimmed where noted. They are the truth the catalog is checked against
 * (tests/seed-contract.test.ts) and the examples docs/freepik-api.md shows. Never edit one
 * to make a test pass: the seed is right and the node is wrong.
 */

export interface SeedExample {
  /** Where the example is in the seeds. */
  source: string;
  /** What a designer types into the node (merged over its defaults) to make the documented request. */
  params?: Record<string, unknown>;
  /** What arrives on the node's input ports (images as the request carries them). */
  inputs?: Record<string, unknown>;
  /** The example's `webhook_url`, handed to the request builder as the engine would. */
  webhookUrl?: string;
  /** Fields of the documented request the node does not send, and why. */
  notSent?: Record<string, string>;
  /** The documented request: method, path (placeholders filled), query, body. */
  request: {
    method: 'GET' | 'POST';
    path: string;
    query?: Record<string, unknown>;
    body?: Record<string, unknown>;
    encoding?: 'json' | 'form' | 'multipart';
  };
  /** The documented answer to that request (absent: the seed does not document it). */
  answer?: unknown;
  /** A documented status answer of an unfinished task (GET …/{task-id}). */
  progress?: unknown;
  /** The documented status answer of a finished task. */
  finished?: unknown;
  /** What the node's extractor reads from the finished answer (sync: from `answer`), port by port. */
  outputs?: Record<string, unknown>;
}

const TASK_ID = '046b6c7f-0b8a-43b9-b35d-6489e6daee91';
const FINISHED_FILE = 'https://ai-statics.freepik.com/completed_task_image.jpg';
/** The flat create answer most S4 examples show (an envelope per their schemas; readTask reads both). */
const FLAT_IN_PROGRESS = { generated: [], task_id: TASK_ID, task_status: 'IN_PROGRESS' };
/** The finished status answer S4 shows for most task endpoints. */
const completed = (taskId = TASK_ID) => ({ data: { generated: [FINISHED_FILE], task_id: taskId, status: 'COMPLETED' } });
/** Every Kling create answer (no `generated`). */
const KLING_IN_PROGRESS = { data: { task_id: TASK_ID, status: 'IN_PROGRESS' } };

/** The icon record of the icon examples (S4:7087-7197, 7518-7791). */
const SEED_ICON = {
  free_svg: true,
  created: "2023-03-07T23:05:26.000Z",
  author: {
    assets: 0,
    name: "John Doe",
    id: 2147483647,
    avatar: "https://avatar.cdnpk.net/61668527-220726032514.jpg",
    slug: "merry-christmas",
  },
  name: "a woman reads a book in a tablet sits in the luxurious back of the library",
  style: {
    name: "Meticulous Yellow shadow",
    id: 50,
  },
  id: 52912,
  family: {
    total: 1200,
    name: "Outline",
    id: 1,
  },
  thumbnails: [
    {
      width: 512,
      url: "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
      height: 512,
    },
    {
      width: 512,
      url: "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
      height: 512,
    },
  ],
  slug: "a-woman-reads-a-book-in-a-tablet-sits-in-the-luxurious-back-of-the-library",
  tags: [
    {
      name: "Dog",
      slug: "dog",
    },
    {
      name: "Dog",
      slug: "dog",
    },
  ],
};
/** An icon under `related` of the detail example: the same record without tags. */
const { tags: _tags, ...RELATED_ICON } = SEED_ICON;

const RESOURCES_PAGE = {
  data: [
    {
      id: 770011,
      title: "Sports car",
      url: "https://www.freepik.com/free-icon/sports-car_770011.htm",
      filename: "sports-car.zip",
      licenses: [
        {
          type: "freemium",
          url: "https://www.freepik.com/profile/license/pdf/770011?lang=en",
        },
      ],
      products: [],
      meta: {
        published_at: "2022-01-14T20:45:28.000Z",
        is_new: true,
        available_formats: {
          jpg: {
            total: 2,
            items: [
              {
                id: 444,
                name: "Sports car",
                colorspace: "RGB",
                size: 100,
              },
              {
                id: 555,
                name: "Sports car",
                colorspace: "RGB",
                size: 200,
              },
            ],
          },
        },
      },
      image: {
        type: "photo",
        orientation: "square",
        source: {
          url: "https://img.flaticon.com/icons/png/512/67/67994.png",
          key: "large",
          size: "128x128",
        },
      },
      related: {
        serie: [],
        others: [],
        keywords: [],
      },
      stats: {
        downloads: 52527,
        likes: 137,
      },
      author: {
        id: 744082,
        name: "flaticon",
        avatar: "https://avatar.cdnpk.net/744082.jpg",
        slug: "flaticon",
      },
    },
  ],
  meta: {
    current_page: 1,
    last_page: 32,
    per_page: 2,
    total: 63,
  },
};

const ICONS_PAGE = {
  data: [
    SEED_ICON,
    SEED_ICON,
  ],
  meta: {
    pagination: {
      per_page: 1,
      total: 1,
      last_page: 1,
      current_page: 1,
    },
  },
};

const ICON_DETAIL = {
  data: {
    free_svg: true,
    related: {
      visual_concept: [
        RELATED_ICON,
      ],
      style: [
        RELATED_ICON,
      ],
      variants: [
        RELATED_ICON,
      ],
    },
    created: "2023-03-07T23:05:26.000Z",
    author: {
      assets: 0,
      name: "John Doe",
      id: 2147483647,
      avatar: "https://avatar.cdnpk.net/61668527-220726032514.jpg",
      slug: "merry-christmas",
    },
    name: "a woman reads a book in a tablet sits in the luxurious back of the library",
    style: {
      name: "Meticulous Yellow shadow",
      id: 50,
    },
    id: 52912,
    family: {
      total: 1200,
      name: "Outline",
      id: 1,
    },
    thumbnails: [
      {
        width: 512,
        url: "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
        height: 512,
      },
      {
        width: 512,
        url: "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
        height: 512,
      },
    ],
    slug: "a-woman-reads-a-book-in-a-tablet-sits-in-the-luxurious-back-of-the-library",
    tags: [
      {
        name: "Dog",
        slug: "dog",
      },
      {
        name: "Dog",
        slug: "dog",
      },
    ],
  },
};

const FORMAT_FILES = {
  data: [
    {
      signed_url: "https://img.freepik.com/premium-photo/close-up-cat-resting_1048944-9269194.jpg?t=st=1725276607~exp=1725280207~hmac=1538f1b294fc3a19a19e9f02ceeb6594a9a1e36a900de85d47bbd386e27dddbe",
      filename: "blackboard-template.zip",
      url: "https://downloadscdn5.freepik.com/d/1137445/blackboard-template.zip",
    },
    {
      signed_url: "https://img.freepik.com/premium-photo/close-up-cat-resting_1048944-9269194.jpg?t=st=1725276607~exp=1725280207~hmac=1538f1b294fc3a19a19e9f02ceeb6594a9a1e36a900de85d47bbd386e27dddbe",
      filename: "blackboard-template.zip",
      url: "https://downloadscdn5.freepik.com/d/1137445/blackboard-template.zip",
    },
  ],
};

const CLASSIFIED = {
  data: [
    {
      class_name: "not_ai",
      probability: 0.9489172697067261,
    },
    {
      class_name: "ai",
      probability: 0.051082730293273926,
    },
  ],
};

const LORAS = {
  data: {
    default: [
      {
        id: 1,
        name: "vintage-japanese",
        description: "Expect bold red colors and a sense of nostalgia, bringing to life classic Japanese elements.",
        category: "illustration",
        type: "style",
        preview: "https://example.com/vintage-japanese-preview.jpg",
        training: {
          status: "completed",
          defaultScale: 1.2,
        },
      },
      {
        id: 2,
        name: "sara",
        description: "sara",
        category: "people",
        type: "character",
        preview: "https://example.com/sara-preview.jpg",
        training: {
          status: "completed",
          defaultScale: 1.2,
        },
      },
      {
        id: 3,
        name: "glasses",
        description: "glasses",
        category: "glasses",
        type: "product",
        preview: "https://example.com/glasses-preview.jpg",
        training: {
          status: "completed",
          defaultScale: 1.2,
        },
      },
    ],
    customs: [],
  },
};

/** Kling 2.1 master, pro and std document the same example (S4:3704-3939, 4067-4301, 4430-4664). */
function klingV21Example(variant: 'master' | 'pro' | 'std', source: string): SeedExample {
  const example = {
    params: {
      prompt: "<string>",
      negative_prompt: "<string>",
      duration: "5",
      cfg_scale: 0.5,
      dynamic_masks: [
        {
          mask: "<string>",
          trajectories: [
            {
              x: 123,
              y: 123,
            },
          ],
        },
      ],
    },
    inputs: {
      image: "<string>",
      static_mask: "<string>",
    },
    webhookUrl: "https://www.example.com/webhook",
    answer: KLING_IN_PROGRESS,
    finished: completed('046b6c7f-0b8a-43b9-b35d-6489e6daee92'),
    outputs: {
      video: FINISHED_FILE,
    },
  };
  return { source, ...example, request: { method: 'POST', path: `/v1/ai/image-to-video/kling-v2-1-${variant}`, body: { ...example.params, ...example.inputs, webhook_url: example.webhookUrl } } };
}

/** Kling Elements pro and std document the same example (S4:5110-5330, 5441-5661). */
function klingElementsExample(variant: 'pro' | 'std', source: string): SeedExample {
  const example = {
    inputs: {
      images: [
        "https://img.freepik.com/foto-gratis/disparo-aislado-gatito-jengibre-sentado-frente-blanco-mirando-derecha_181624-45937.jpg?semt=ais_hybrid&w=740",
      ],
    },
    answer: KLING_IN_PROGRESS,
    progress: {
      data: {
        generated: [
          "https://openapi-generator.tech",
          "https://openapi-generator.tech",
        ],
        task_id: TASK_ID,
        status: "IN_PROGRESS",
      },
    },
  };
  return { source, ...example, request: { method: 'POST', path: `/v1/ai/image-to-video/kling-elements-${variant}`, body: example.inputs } };
}

export const SEED_EXAMPLES: Record<string, SeedExample> = {
  "freepik.gemini-2-5-flash": {
    source: "S0:44-72 (request, answer), S0:102-118 (a status answer)",
    params: {
      prompt: "A beautiful sunset over mountains with vibrant orange and purple skies",
    },
    inputs: {
      reference_images: [
        "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
        "https://example.com/reference-image.jpg",
      ],
    },
    webhookUrl: "https://www.example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/gemini-2-5-flash-image-preview",
      body: {
        prompt: "A beautiful sunset over mountains with vibrant orange and purple skies",
        reference_images: [
          "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
          "https://example.com/reference-image.jpg",
        ],
        webhook_url: "https://www.example.com/webhook",
      },
    },
    answer: {
      data: {
        generated: [],
        task_id: TASK_ID,
        status: "CREATED",
      },
    },
    progress: {
      data: {
        generated: [
          "https://openapi-generator.tech",
          "https://openapi-generator.tech",
        ],
        task_id: TASK_ID,
        status: "CREATED",
      },
    },
  },
  "freepik.upscaler-precision-v2": {
    source: "S0:218-262 (request, answer), S1:368-375 (200-task-completed)",
    params: {
      sharpen: 7,
      smart_grain: 7,
      ultra_detail: 30,
      flavor: "photo",
      scale_factor: 4,
    },
    inputs: {
      image: "https://example.com/restored-photo.jpg",
    },
    webhookUrl: "https://www.example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/image-upscaler-precision-v2",
      body: {
        image: "https://example.com/restored-photo.jpg",
        webhook_url: "https://www.example.com/webhook",
        sharpen: 7,
        smart_grain: 7,
        ultra_detail: 30,
        flavor: "photo",
        scale_factor: 4,
      },
    },
    answer: {
      data: {
        generated: [],
        task_id: TASK_ID,
        status: "CREATED",
      },
    },
    finished: completed(),
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.upscaler-precision-v1": {
    source: "S3:692-761 (fields and the answer example; the seeds show no example request)",
    inputs: {
      image: "iVBORw0KGgoAAAANSUhEUgAA...",
    },
    request: {
      method: "POST",
      path: "/v1/ai/image-upscaler-precision",
      body: {
        image: "iVBORw0KGgoAAAANSUhEUgAA...",
      },
    },
    answer: {
      data: {
        task_id: TASK_ID,
        status: "CREATED",
        generated: [
          "https://openapi-generator.tech",
          "https://openapi-generator.tech",
        ],
      },
    },
  },
  "storage.file-upload": {
    source: "S3:3-24 (the Python example: form-data `id` = a new UUID, `image` = the file; the answer is only printed)",
    request: {
      method: "POST",
      path: "/api/v1/file/uploads",
      encoding: "multipart",
      body: {
        id: "<uuid>",
        image: "<file>",
      },
    },
  },
  "freepik.mystic": {
    source: "S4:617-659 (request, answer), S4:603-614 (finished status)",
    params: {
      prompt: "<string>",
      structure_strength: 50,
      adherence: 50,
      hdr: 50,
      resolution: "2k",
      aspect_ratio: "square_1_1",
      model: "realism",
      creative_detailing: 33,
      engine: "automatic",
      fixed_generation: false,
      filter_nsfw: true,
      styling: {
        styles: [
          {
            name: "<string>",
            strength: 100,
          },
        ],
        characters: [
          {
            id: "<string>",
            strength: 100,
          },
        ],
        colors: [
          {
            color: "#FF0000",
            weight: 0.5,
          },
        ],
      },
    },
    inputs: {
      structure_reference: "aSDinaTvuI8gbWludGxpZnk=",
      style_reference: "aSDinaTvuI8gbWludGxpZnk=",
    },
    webhookUrl: "https://www.example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/mystic",
      body: {
        prompt: "<string>",
        webhook_url: "https://www.example.com/webhook",
        structure_reference: "aSDinaTvuI8gbWludGxpZnk=",
        structure_strength: 50,
        style_reference: "aSDinaTvuI8gbWludGxpZnk=",
        adherence: 50,
        hdr: 50,
        resolution: "2k",
        aspect_ratio: "square_1_1",
        model: "realism",
        creative_detailing: 33,
        engine: "automatic",
        fixed_generation: false,
        filter_nsfw: true,
        styling: {
          styles: [
            {
              name: "<string>",
              strength: 100,
            },
          ],
          characters: [
            {
              id: "<string>",
              strength: 100,
            },
          ],
          colors: [
            {
              color: "#FF0000",
              weight: 0.5,
            },
          ],
        },
      },
    },
    answer: FLAT_IN_PROGRESS,
    finished: {
      data: {
        generated: [
          FINISHED_FILE,
        ],
        task_id: TASK_ID,
        status: "COMPLETED",
        has_nsfw: [
          false,
        ],
      },
    },
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.imagen3": {
    source: "S4:1263-1290, S4:1391-1400",
    params: {
      prompt: "Crazy dog in the space",
      num_images: 1,
      aspect_ratio: "square_1_1",
      styling: {
        style: "anime",
        effects: {
          color: "pastel",
          lightning: "warm",
          framing: "portrait",
        },
      },
      person_generation: "allow_adult",
      safety_settings: "block_low_and_above",
    },
    request: {
      method: "POST",
      path: "/v1/ai/text-to-image/imagen3",
      body: {
        prompt: "Crazy dog in the space",
        num_images: 1,
        aspect_ratio: "square_1_1",
        styling: {
          style: "anime",
          effects: {
            color: "pastel",
            lightning: "warm",
            framing: "portrait",
          },
        },
        person_generation: "allow_adult",
        safety_settings: "block_low_and_above",
      },
    },
    answer: FLAT_IN_PROGRESS,
    finished: {
      data: {
        generated: [
          "iVBORw0KGgoAAAANSUhEUgAABAAAAAQACAIAAADwf7zUAAAAg3pUWHRSYXcgcHJvZmlsZSB0eXBlIGlwdGMAAAiZTYs7Ds",
          "npqaxtJUKl7c8fs4/Aqyzw3cea9eAjHX88Av7/H/LHFPdjf2I8LUIm5/mYi8UD1IsOK1sZSBO9M+CcS1IiuAUzlVkyolEioFZfnIGSqM9+d01i1CtyO+ju",
        ],
        task_id: TASK_ID,
        status: "COMPLETED",
      },
    },
    outputs: {
      image: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAABAAAAAQACAIAAADwf7zUAAAAg3pUWHRSYXcgcHJvZmlsZSB0eXBlIGlwdGMAAAiZTYs7Ds",
      images: [
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAABAAAAAQACAIAAADwf7zUAAAAg3pUWHRSYXcgcHJvZmlsZSB0eXBlIGlwdGMAAAiZTYs7Ds",
        "data:image/png;base64,npqaxtJUKl7c8fs4/Aqyzw3cea9eAjHX88Av7/H/LHFPdjf2I8LUIm5/mYi8UD1IsOK1sZSBO9M+CcS1IiuAUzlVkyolEioFZfnIGSqM9+d01i1CtyO+ju",
      ],
    },
  },
  "freepik.flux-dev": {
    source: "S4:1611-1643, S4:1744-1752",
    params: {
      prompt: "<string>",
      aspect_ratio: "square_1_1",
      styling: {
        effects: {
          color: "softhue",
          framing: "portrait",
          lightning: "iridescent",
        },
        colors: [
          {
            color: "#FF0000",
            weight: 0.5,
          },
        ],
      },
      seed: 2147483648,
    },
    webhookUrl: "https://www.example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/text-to-image/flux-dev",
      body: {
        prompt: "<string>",
        webhook_url: "https://www.example.com/webhook",
        aspect_ratio: "square_1_1",
        styling: {
          effects: {
            color: "softhue",
            framing: "portrait",
            lightning: "iridescent",
          },
          colors: [
            {
              color: "#FF0000",
              weight: 0.5,
            },
          ],
        },
        seed: 2147483648,
      },
    },
    answer: KLING_IN_PROGRESS,
    finished: completed('046b6c7f-0b8a-43b9-b35d-6489e6daee92'),
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.reimagine-flux": {
    source: "S4:1944-1967",
    params: {
      prompt: "Un hermoso atardecer sobre un océano tranquilo",
      imagination: "wild",
      aspect_ratio: "square_1_1",
    },
    inputs: {
      image: "iVBORw0KGgoAAAANSUhEUgAA...",
    },
    webhookUrl: "https://api.ejemplo.com/webhook",
    notSent: {
      webhook_url: "the endpoint is synchronous: the answer holds the image",
    },
    request: {
      method: "POST",
      path: "/v1/ai/beta/text-to-image/reimagine-flux",
      body: {
        webhook_url: "https://api.ejemplo.com/webhook",
        image: "iVBORw0KGgoAAAANSUhEUgAA...",
        prompt: "Un hermoso atardecer sobre un océano tranquilo",
        imagination: "wild",
        aspect_ratio: "square_1_1",
      },
    },
    answer: completed(),
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.upscaler-creative": {
    source: "S4:2142-2166, S4:2265-2273",
    params: {
      scale_factor: "2x",
      optimized_for: "standard",
      prompt: "Crazy dog in the space",
      creativity: 2,
      hdr: 1,
      resemblance: 0,
      fractality: -1,
      engine: "magnific_sparkle",
    },
    inputs: {
      image: "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
    },
    webhookUrl: "https://httpbin.org/post",
    request: {
      method: "POST",
      path: "/v1/ai/image-upscaler",
      body: {
        image: "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
        webhook_url: "https://httpbin.org/post",
        scale_factor: "2x",
        optimized_for: "standard",
        prompt: "Crazy dog in the space",
        creativity: 2,
        hdr: 1,
        resemblance: 0,
        fractality: -1,
        engine: "magnific_sparkle",
      },
    },
    answer: FLAT_IN_PROGRESS,
    finished: completed(),
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.relight": {
    source: "S4:2515-2552, S4:2651-2659",
    params: {
      prompt: "A sunlit forest clearing at golden hour",
      light_transfer_strength: 100,
      interpolate_from_original: false,
      change_background: true,
      style: "smooth",
      advanced_settings: {
        whites: 60,
        blacks: 60,
        brightness: 30,
        contrast: 40,
        saturation: 50,
        engine: "illusio",
        transfer_light_a: "low",
        transfer_light_b: "soft_in",
        fixed_generation: true,
      },
    },
    inputs: {
      image: "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
      transfer_light_from_reference_image: "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
    },
    request: {
      method: "POST",
      path: "/v1/ai/image-relight",
      body: {
        image: "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
        prompt: "A sunlit forest clearing at golden hour",
        transfer_light_from_reference_image: "iVBORw0KGgoAAAANSUhEUgAAASwAAAEsAQAAAABRBrPYAAABrElEQVR4nO3BMQEAAADCoPVPbQ0Po...",
        light_transfer_strength: 100,
        interpolate_from_original: false,
        change_background: true,
        style: "smooth",
        advanced_settings: {
          whites: 60,
          blacks: 60,
          brightness: 30,
          contrast: 40,
          saturation: 50,
          engine: "illusio",
          transfer_light_a: "low",
          transfer_light_b: "soft_in",
          fixed_generation: true,
        },
      },
    },
    answer: {
      data: {
        generated: [
          "https://openapi-generator.tech",
          "https://openapi-generator.tech",
        ],
        task_id: TASK_ID,
        status: "IN_PROGRESS",
      },
    },
    finished: completed(),
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.style-transfer": {
    source: "S4:2916-2932, S4:3123-3131",
    inputs: {
      image: "iVBORw0KGgoAAAANSUhEUgAA...",
      reference_image: "iVBORw0KGgoAAAANSUhEUgAA...",
    },
    request: {
      method: "POST",
      path: "/v1/ai/image-style-transfer",
      body: {
        image: "iVBORw0KGgoAAAANSUhEUgAA...",
        reference_image: "iVBORw0KGgoAAAANSUhEUgAA...",
      },
    },
    answer: FLAT_IN_PROGRESS,
    finished: completed(),
    outputs: {
      image: FINISHED_FILE,
    },
  },
  "freepik.image-expand-flux-pro": {
    source: "S4:3445-3468, S4:3567-3573",
    params: {
      prompt: "<string>",
      left: 1024,
      right: 1024,
      top: 1024,
      bottom: 1024,
    },
    inputs: {
      image: "aSDinaTvuI8gbWludGxpZnk=",
    },
    webhookUrl: "https://www.example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/image-expand/flux-pro",
      body: {
        webhook_url: "https://www.example.com/webhook",
        image: "aSDinaTvuI8gbWludGxpZnk=",
        prompt: "<string>",
        left: 1024,
        right: 1024,
        top: 1024,
        bottom: 1024,
      },
    },
    answer: {
      data: {
        generated: [],
        task_id: TASK_ID,
        status: "CREATED",
      },
    },
    progress: {
      data: {
        generated: [],
        task_id: TASK_ID,
        status: "CREATED",
      },
    },
  },
  "freepik.remove-background": {
    source: "S4:3211-3227",
    inputs: {
      image_url: "https://img.freepik.com/free-vector/cute-cat-sitting-cartoon-vector-icon-illustration-animal-nature-icon-concept-isolated-premium-vector-flat-cartoon-style_138676-4148.jpg?w=2000&t=st=1725353998~exp=1725357598~hmac=a17f90afeeff454b36c0715f84eed2b388cd9c4a7ce59fcdff075fa41770e469",
    },
    request: {
      method: "POST",
      path: "/v1/ai/beta/remove-background",
      encoding: "form",
      body: {
        image_url: "https://img.freepik.com/free-vector/cute-cat-sitting-cartoon-vector-icon-illustration-animal-nature-icon-concept-isolated-premium-vector-flat-cartoon-style_138676-4148.jpg?w=2000&t=st=1725353998~exp=1725357598~hmac=a17f90afeeff454b36c0715f84eed2b388cd9c4a7ce59fcdff075fa41770e469",
      },
    },
    answer: {
      original: "https://api.freepik.com/v1/ai/beta/images/original/037ea4ea-e8ad84a8c7/thumbnail.jpg",
      high_resolution: "https://api.freepik.com/v1/ai/beta/images/download/037ead-44cd8ad84a8c7/high.png",
      preview: "https://api.freepik.com/v1/ai/beta/images/download/037ea4eacad84a8c7/preview.png",
      url: "https://api.freepik.com/v1/ai/beta/images/download/037ea4ea-720d-411e8ad84a8c7/high.png",
    },
    outputs: {
      image: "https://api.freepik.com/v1/ai/beta/images/download/037ead-44cd8ad84a8c7/high.png",
      preview: "https://api.freepik.com/v1/ai/beta/images/download/037ea4eacad84a8c7/preview.png",
    },
  },
  "freepik.kling-v2-1-master": klingV21Example('master', "S4:3706-3739, S4:3930-3938"),
  "freepik.kling-v2-1-pro": klingV21Example('pro', "S4:4069-4102, S4:4293-4301"),
  "freepik.kling-v2-1-std": klingV21Example('std', "S4:4432-4465, S4:4656-4664"),
  "freepik.kling-v2": {
    source: "S4:4785-4808, S4:4991-4999",
    params: {
      duration: "5",
    },
    inputs: {
      image: "https://storage.googleapis.com/fc-freepik-pro-rev1-eu-static/landing-api/examples/freepik__upload__53227.png",
    },
    request: {
      method: "POST",
      path: "/v1/ai/image-to-video/kling-v2",
      body: {
        image: "https://storage.googleapis.com/fc-freepik-pro-rev1-eu-static/landing-api/examples/freepik__upload__53227.png",
        duration: "5",
      },
    },
    answer: KLING_IN_PROGRESS,
    finished: completed('046b6c7f-0b8a-43b9-b35d-6489e6daee92'),
    outputs: {
      video: FINISHED_FILE,
    },
  },
  "freepik.kling-elements-pro": klingElementsExample('pro', "S4:5112-5130, S4:5321-5330"),
  "freepik.kling-elements-std": klingElementsExample('std', "S4:5443-5461, S4:5652-5661"),
  "freepik.text-to-icon": {
    source: "S4:5793-5809",
    params: {
      prompt: "Sliced avocado and chips",
    },
    webhookUrl: "https://example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/text-to-icon",
      body: {
        prompt: "Sliced avocado and chips",
        webhook_url: "https://example.com/webhook",
      },
    },
    answer: FLAT_IN_PROGRESS,
  },
  "freepik.text-to-icon-preview": {
    source: "S4:5949-5965",
    params: {
      prompt: "Sliced avocado and chips",
    },
    webhookUrl: "https://example.com/webhook",
    request: {
      method: "POST",
      path: "/v1/ai/text-to-icon/preview",
      body: {
        prompt: "Sliced avocado and chips",
        webhook_url: "https://example.com/webhook",
      },
    },
    answer: FLAT_IN_PROGRESS,
  },
  "freepik.text-to-icon-render": {
    source: "S4:6068-6081",
    params: {
      "task-id": TASK_ID,
      format: "svg",
    },
    request: {
      method: "POST",
      path: "/v1/ai/text-to-icon/046b6c7f-0b8a-43b9-b35d-6489e6daee91/render/svg",
    },
    answer: FLAT_IN_PROGRESS,
    outputs: {},
  },
  "freepik.loras-list": {
    source: "S4:779-834",
    request: {
      method: "GET",
      path: "/v1/ai/loras",
    },
    answer: LORAS,
    outputs: {
      loras: LORAS.data,
      names: "vintage-japanese\nsara\nglasses",
    },
  },
  "freepik.lora-train-style": {
    source: "S4:953-976",
    params: {
      name: "my-awesome-style",
      description: "string",
      quality: "high",
    },
    inputs: {
      images: [
        "string",
        "string",
        "string",
        "string",
        "string",
        "string",
        "string",
        "string",
      ],
    },
    webhookUrl: "https://my-webhook-url.com/endpoint",
    request: {
      method: "POST",
      path: "/v1/ai/loras/styles",
      body: {
        name: "my-awesome-style",
        description: "string",
        quality: "high",
        images: [
          "string",
          "string",
          "string",
          "string",
          "string",
          "string",
          "string",
          "string",
        ],
        webhook_url: "https://my-webhook-url.com/endpoint",
      },
    },
    answer: FLAT_IN_PROGRESS,
    outputs: {
      task_id: TASK_ID,
      status: "IN_PROGRESS",
    },
  },
  "freepik.lora-train-character": {
    source: "S4:1103-1127",
    params: {
      name: "my-awesome-character",
      description: "string",
      quality: "high",
      gender: "male",
    },
    inputs: {
      images: [
        "string",
        "string",
        "string",
        "string",
        "string",
        "string",
        "string",
        "string",
      ],
    },
    webhookUrl: "https://my-webhook-url.com/endpoint",
    request: {
      method: "POST",
      path: "/v1/ai/loras/characters",
      body: {
        name: "my-awesome-character",
        description: "string",
        quality: "high",
        gender: "male",
        images: [
          "string",
          "string",
          "string",
          "string",
          "string",
          "string",
          "string",
          "string",
        ],
        webhook_url: "https://my-webhook-url.com/endpoint",
      },
    },
    answer: FLAT_IN_PROGRESS,
    outputs: {
      task_id: TASK_ID,
      status: "IN_PROGRESS",
    },
  },
  "freepik.ai-classifier": {
    source: "S4:6159-6181",
    inputs: {
      image: "/9j/4AAQSkZJRgABAQEASABIAAD/4gKwSUNDX1BST0ZJTEUAAQEAAAKgbGNtcwQwAABtbnRyUkdCIFhZWiAH6AALAA4ADgAIADphY3NwQVBQTAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA9tYAAQAAAADTLWxjbXMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1kZXNjAAABIAAAAEBjcHJ0AAABYAAAADZ3dHB0AAABmAAAABRjaGFkAAABrAAAACxyWFlaAAAB2AAAABRiWFlaAAAB7AAAABRnWFlaAAACAAAAABRyVFJDAAACFAAAACBnVFJDAAACFAAAACBiVFJDAAACFAAAACBjaHJtAAACNAAAACRkbW5kAAACWAAAACRkbWRkAAACfAAAACRtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACQAAAAcAEcASQBNAFAAIABiAHUAaQBsAHQALQBpAG4AIABzAFIARwBCbWx1YwAAAAAAAAABAAAADGVuVVMAAAAaAAAAHABQAHUAYgBsAGkAYwAgAEQAbwBtAGEAaQBuAABYWVogAAAAAAAA9tYAAQAAAADTLXNmMzIAAAAAAAEMQgAABd7///MlAAAHkwAA/ZD///uh///9ogAAA9wAAMBuWFlaIAAAAAAAAG+gAAA49QAAA5BYWVogAAAAAAAAJJ8AAA...",
    },
    request: {
      method: "POST",
      path: "/v1/ai/classifier/image",
      body: {
        image: "/9j/4AAQSkZJRgABAQEASABIAAD/4gKwSUNDX1BST0ZJTEUAAQEAAAKgbGNtcwQwAABtbnRyUkdCIFhZWiAH6AALAA4ADgAIADphY3NwQVBQTAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA9tYAAQAAAADTLWxjbXMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1kZXNjAAABIAAAAEBjcHJ0AAABYAAAADZ3dHB0AAABmAAAABRjaGFkAAABrAAAACxyWFlaAAAB2AAAABRiWFlaAAAB7AAAABRnWFlaAAACAAAAABRyVFJDAAACFAAAACBnVFJDAAACFAAAACBiVFJDAAACFAAAACBjaHJtAAACNAAAACRkbW5kAAACWAAAACRkbWRkAAACfAAAACRtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACQAAAAcAEcASQBNAFAAIABiAHUAaQBsAHQALQBpAG4AIABzAFIARwBCbWx1YwAAAAAAAAABAAAADGVuVVMAAAAaAAAAHABQAHUAYgBsAGkAYwAgAEQAbwBtAGEAaQBuAABYWVogAAAAAAAA9tYAAQAAAADTLXNmMzIAAAAAAAEMQgAABd7///MlAAAHkwAA/ZD///uh///9ogAAA9wAAMBuWFlaIAAAAAAAAG+gAAA49QAAA5BYWVogAAAAAAAAJJ8AAA...",
      },
    },
    answer: CLASSIFIED,
    outputs: {
      ai_probability: 0.051082730293273926,
      classification: CLASSIFIED.data,
    },
  },
  "freepik.stock-resources-search": {
    source: "S4:6418-6557 (trimmed to the first resource)",
    request: {
      method: "GET",
      path: "/v1/resources",
    },
    answer: RESOURCES_PAGE,
    outputs: {
      image: "https://img.flaticon.com/icons/png/512/67/67994.png",
      images: [
        "https://img.flaticon.com/icons/png/512/67/67994.png",
      ],
      resource_id: "770011",
      results: RESOURCES_PAGE,
    },
  },
  "freepik.stock-icons-search": {
    source: "S4:7087-7197",
    request: {
      method: "GET",
      path: "/v1/icons",
    },
    answer: ICONS_PAGE,
    outputs: {
      image: "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
      images: [
        "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
        "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
      ],
      icon_id: "52912",
      results: ICONS_PAGE,
    },
  },
  "freepik.stock-icon-detail": {
    source: "S4:7518-7791 (`{id}` filled with the example's 52912; each related list trimmed to its first icon)",
    params: {
      id: 52912,
    },
    request: {
      method: "GET",
      path: "/v1/icons/52912",
    },
    answer: ICON_DETAIL,
    outputs: {
      image: "https://v4.cdnpk.net/videvo_files/video/free/video0485/thumbnails/_import_61a866e2519c71.61070863_large.png",
      name: "a woman reads a book in a tablet sits in the luxurious back of the library",
      icon: ICON_DETAIL.data,
    },
  },
  "freepik.stock-icon-download": {
    source: "S4:7910-7924 (`{id}` filled with 52912)",
    params: {
      id: 52912,
    },
    request: {
      method: "GET",
      path: "/v1/icons/52912/download",
    },
    answer: {
      data: {
        filename: "filename",
        url: "https://openapi-generator.tech",
      },
    },
    outputs: {
      url: "https://openapi-generator.tech",
      filename: "filename",
    },
  },
  "freepik.stock-resource-download": {
    source: "S4:8041-8055 (`{resource-id}` filled with 770011)",
    params: {
      "resource-id": 770011,
    },
    request: {
      method: "GET",
      path: "/v1/resources/770011/download",
    },
    answer: {
      data: {
        filename: "Mother-and-daughter.zip",
        url: "https://downloadscdn5.freepik.com/d/999999/23/99999/8888888/mother-and-daughter.zip?token=exp=1689689298~hmac=1234567890abcde",
      },
    },
    outputs: {
      url: "https://downloadscdn5.freepik.com/d/999999/23/99999/8888888/mother-and-daughter.zip?token=exp=1689689298~hmac=1234567890abcde",
      filename: "Mother-and-daughter.zip",
    },
  },
  "freepik.stock-resource-download-format": {
    source: "S4:8154-8176 (`{resource-id}` filled with 770011, format psd)",
    params: {
      "resource-id": 770011,
      "resource-format": "psd",
    },
    request: {
      method: "GET",
      path: "/v1/resources/770011/download/psd",
    },
    answer: FORMAT_FILES,
    outputs: {
      image: "https://img.freepik.com/premium-photo/close-up-cat-resting_1048944-9269194.jpg?t=st=1725276607~exp=1725280207~hmac=1538f1b294fc3a19a19e9f02ceeb6594a9a1e36a900de85d47bbd386e27dddbe",
      url: "https://downloadscdn5.freepik.com/d/1137445/blackboard-template.zip",
      filename: "blackboard-template.zip",
      files: FORMAT_FILES.data,
    },
  },
};
