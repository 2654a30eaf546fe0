CREATE TABLE "quiz_attempts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"quiz_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"max_score" integer NOT NULL,
	"deadline_at" timestamp with time zone,
	"answers" jsonb,
	"score" integer,
	"percent" double precision,
	"passed" boolean,
	"started_at" timestamp with time zone NOT NULL,
	"submitted_at" timestamp with time zone,
	"scored_at" timestamp with time zone,
	CONSTRAINT "quiz_attempts_status_check" CHECK ("quiz_attempts"."status" IN ('IN_PROGRESS', 'SUBMITTED', 'SCORED', 'EXPIRED'))
);
--> statement-breakpoint
CREATE TABLE "quiz_best_scores" (
	"user_id" uuid NOT NULL,
	"quiz_id" uuid NOT NULL,
	"score" integer NOT NULL,
	"percent" double precision NOT NULL,
	"reached_at" timestamp with time zone NOT NULL,
	CONSTRAINT "quiz_best_scores_user_id_quiz_id_pk" PRIMARY KEY("user_id","quiz_id")
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "quizzes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"title" text NOT NULL,
	"topic" text NOT NULL,
	"description" text NOT NULL,
	"pass_percent" integer NOT NULL,
	"time_limit_seconds" integer,
	"questions" jsonb NOT NULL,
	"answer_key" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "quiz_attempts" ADD CONSTRAINT "quiz_attempts_quiz_id_quizzes_id_fk" FOREIGN KEY ("quiz_id") REFERENCES "public"."quizzes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quiz_best_scores" ADD CONSTRAINT "quiz_best_scores_quiz_id_quizzes_id_fk" FOREIGN KEY ("quiz_id") REFERENCES "public"."quizzes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "quiz_attempts_user_scored_idx" ON "quiz_attempts" USING btree ("user_id","quiz_id") WHERE "quiz_attempts"."status" = 'SCORED';--> statement-breakpoint
CREATE INDEX "quiz_best_scores_quiz_idx" ON "quiz_best_scores" USING btree ("quiz_id");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "outbox" USING btree ("created_at") WHERE "outbox"."sent_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "quizzes_slug_key" ON "quizzes" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "quizzes_topic_idx" ON "quizzes" USING btree ("topic","title");