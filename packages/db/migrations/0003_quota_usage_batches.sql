CREATE TABLE "batch_items" (
	"batch_id" uuid NOT NULL,
	"idx" integer NOT NULL,
	"label" text NOT NULL,
	"inputs" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"run_id" uuid,
	"error" jsonb,
	"started_at" timestamp with time zone,
	CONSTRAINT "batch_items_batch_id_idx_pk" PRIMARY KEY("batch_id","idx")
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"pipeline_id" uuid,
	"pipeline_version_id" uuid,
	"document" jsonb NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"total" integer NOT NULL,
	"max_in_flight" integer NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "freepik_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"endpoint" text NOT NULL,
	"kind" text NOT NULL,
	"run_id" uuid,
	"node_run_id" uuid,
	"status" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quota_state" (
	"service" text PRIMARY KEY NOT NULL,
	"blocked_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quota_waits" (
	"node_run_id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"service" text NOT NULL,
	"reason" text NOT NULL,
	"until" timestamp with time zone NOT NULL,
	"tries" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batch_items" ADD CONSTRAINT "batch_items_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_pipeline_id_pipelines_id_fk" FOREIGN KEY ("pipeline_id") REFERENCES "public"."pipelines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_pipeline_version_id_pipeline_versions_id_fk" FOREIGN KEY ("pipeline_version_id") REFERENCES "public"."pipeline_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quota_waits" ADD CONSTRAINT "quota_waits_node_run_id_node_runs_id_fk" FOREIGN KEY ("node_run_id") REFERENCES "public"."node_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "batch_items_status" ON "batch_items" USING btree ("batch_id","status","idx");--> statement-breakpoint
CREATE UNIQUE INDEX "batch_items_run" ON "batch_items" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "batches_status" ON "batches" USING btree ("status");--> statement-breakpoint
CREATE INDEX "freepik_requests_submits" ON "freepik_requests" USING btree ("service","at") WHERE kind = 'submit';--> statement-breakpoint
CREATE INDEX "freepik_requests_at" ON "freepik_requests" USING btree ("at");--> statement-breakpoint
CREATE INDEX "freepik_requests_node_run" ON "freepik_requests" USING btree ("node_run_id");--> statement-breakpoint
CREATE INDEX "quota_waits_run" ON "quota_waits" USING btree ("run_id");