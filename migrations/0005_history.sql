-- Resumable history (issue 12): a client resuming the feed with the recovery
-- generation it last saw is refused (409 STALE_GENERATION) when a later
-- recovery revoked an entry at or below its offset. The first offset a
-- cascade revoked is the smallest offset among the rows of the batches it
-- invalidated, and those are the batches whose invalidated_at equals the
-- cascade record's created_at (both are now() of the cascade's one
-- transaction). This index finds them without scanning every batch; it
-- holds invalidated batches only, so the lane's writes never touch it.
CREATE INDEX batches_invalidated_at ON batches (invalidated_at) WHERE invalidated_at IS NOT NULL;
