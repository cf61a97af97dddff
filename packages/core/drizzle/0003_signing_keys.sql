CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"algorithm" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key_ciphertext" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"activates_at" timestamp (3) with time zone NOT NULL,
	"retires_at" timestamp (3) with time zone,
	"delete_after" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE INDEX "signing_keys_activates_at_idx" ON "signing_keys" USING btree ("activates_at");