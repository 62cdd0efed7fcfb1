-- Live job output: the chunks of stdout and stderr an agent streams while a job runs (job.output frames), kept with the
-- job up to a cap per job. Additive: a node of the previous release neither writes nor reads it.
--
-- One row per chunk. The primary key makes a chunk sent twice (the same attempt and seq) harmless: the second insert
-- does nothing. stream is 'stdout' or 'stderr', or 'truncated' for the one mark saying that output was dropped after
-- that point (the cap was reached, or the agent's rate bound); the mark's data is empty. at is when the server got it
-- (epoch milliseconds): the pruner picks old chunks by it, hence its index. No foreign key to jobs: pruning a job must
-- not have to delete its chunks in the same statement; the pruner removes chunks of jobs that are gone.
CREATE TABLE job_output (
    job_id   TEXT NOT NULL,
    attempt  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    stream   TEXT NOT NULL,
    data     TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (job_id, attempt, seq, stream)
);
CREATE INDEX job_output_at ON job_output (at);
