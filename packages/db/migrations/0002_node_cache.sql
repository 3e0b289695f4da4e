CREATE TABLE "node_cache" (
	"key" text PRIMARY KEY NOT NULL,
	"node_type" text NOT NULL,
	"definition_version" integer NOT NULL,
	"state" text NOT NULL,
	"outputs" jsonb,
	"run_id" uuid NOT NULL,
	"node_run_id" uuid NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stored_at" timestamp with time zone,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "node_cache_node_run" ON "node_cache" USING btree ("node_run_id");--> statement-breakpoint
CREATE INDEX "node_cache_node_type" ON "node_cache" USING btree ("node_type");