CREATE TABLE "engine_processes" (
	"id" text PRIMARY KEY NOT NULL,
	"pid" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_idempotency_keys" (
	"pipeline_id" uuid NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"run_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_idempotency_keys_pipeline_id_key_pk" PRIMARY KEY("pipeline_id","key")
);
--> statement-breakpoint
ALTER TABLE "node_runs" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "node_runs" ADD COLUMN "sync_result" jsonb;--> statement-breakpoint
ALTER TABLE "node_runs" ADD COLUMN "possible_duplicate_charge" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "run_idempotency_keys" ADD CONSTRAINT "run_idempotency_keys_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;