-- The trace writer (packages/db/worker/trace-writer-worker.mjs) now adds a searchable trace's text
-- to "TraceSearch" itself, in the transaction that inserts the row: the AFTER INSERT trigger ran a
-- sub-program for every row, even the plain successes its WHEN clause left out, and that was a
-- third of what writing a trace cost. Deletes keep their trigger.
DROP TRIGGER "Trace_search_insert";
