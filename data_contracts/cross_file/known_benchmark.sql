-- rule: known_benchmark
-- action: hold
-- Each account's benchmark_id names a benchmark with rows in benchmarks; otherwise the account
-- has no target and is held.
SELECT 'accounts' AS file, NULL AS "row", 'benchmark_id' AS "column", benchmark_id AS value,
       account_id,
       'benchmark ' || benchmark_id || ' of account ' || account_id || ' is not in benchmarks' AS message
FROM accounts
WHERE benchmark_id NOT IN (SELECT benchmark_id FROM benchmarks)
