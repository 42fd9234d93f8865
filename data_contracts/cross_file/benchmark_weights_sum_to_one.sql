-- rule: benchmark_weights_sum_to_one
-- action: hold
-- The weights of each benchmark sum to 1, within settings.validation.benchmark_weight_tolerance.
-- A benchmark that does not (including one that lost a refused row) holds every account that
-- follows it; one issue per such account (or one with no account if none follows it).
WITH sums AS (
    SELECT benchmark_id, sum(weight) AS total FROM benchmarks GROUP BY benchmark_id
    HAVING abs(sum(weight) - 1) > $benchmark_weight_tolerance
)
SELECT 'benchmarks' AS file, NULL AS "row", 'weight' AS "column", CAST(s.total AS VARCHAR) AS value,
       a.account_id,
       'the weights of benchmark ' || s.benchmark_id || ' sum to ' || CAST(round(s.total, 9) AS VARCHAR)
       || ', not 1' || coalesce(': account ' || a.account_id || ' follows it', '') AS message
FROM sums s LEFT JOIN accounts a ON a.benchmark_id = s.benchmark_id
