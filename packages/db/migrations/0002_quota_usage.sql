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
ALTER TABLE "quota_waits" ADD CONSTRAINT "quota_waits_node_run_id_node_runs_id_fk" FOREIGN KEY ("node_run_id") REFERENCES "public"."node_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "freepik_requests_submits" ON "freepik_requests" USING btree ("service","at") WHERE kind = 'submit';--> statement-breakpoint
CREATE INDEX "freepik_requests_at" ON "freepik_requests" USING btree ("at");--> statement-breakpoint
CREATE INDEX "freepik_requests_node_run" ON "freepik_requests" USING btree ("node_run_id");--> statement-breakpoint
CREATE INDEX "quota_waits_run" ON "quota_waits" USING btree ("run_id");