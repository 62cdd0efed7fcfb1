-- Token rotation hardening. A token minted by a rotation is valid at once but only for a bounded time
-- until the agent acknowledges it (token.rotated.ack) or uses it to say hello; then expires_at is cleared.
-- NULL means the token does not expire (enrolled or acknowledged tokens). While a robot has an unexpired
-- token with expires_at set, no other rotation may start: at most one rotation is outstanding per robot.
ALTER TABLE robot_tokens ADD COLUMN expires_at BIGINT;
