-- rule: model_weights_sum_to_one
-- action: hold
-- A model is a whole set of weights as of its date (issue 19): the weights of each (provider,
-- model, effective_date) sum to 1 within settings.validation.benchmark_weight_tolerance, the
-- benchmarks' tolerance. A version that does not (including one that lost a refused row, or a
-- followed model that lost every row: it sums to 0) holds every account with a sleeve following
-- the model; one issue per such account (or one with no account if none follows it).
WITH sums AS (
    SELECT provider_id, model_id, CAST(effective_date AS VARCHAR) AS version, sum(weight) AS total
    FROM models GROUP BY provider_id, model_id, effective_date
    HAVING abs(sum(weight) - 1) > $benchmark_weight_tolerance
    UNION ALL
    SELECT DISTINCT NULL, model_id, NULL, 0.0 FROM sleeves
    WHERE model_id <> 'CASH' AND model_id NOT IN (SELECT model_id FROM models)
)
SELECT DISTINCT 'models' AS file, NULL AS "row", 'weight' AS "column",
       CAST(s.total AS VARCHAR) AS value, l.account_id,
       'the weights of model ' || coalesce(s.provider_id || '/', '') || s.model_id
       || coalesce(' of ' || s.version, '') || ' sum to ' || CAST(round(s.total, 9) AS VARCHAR)
       || ', not 1' || coalesce(': account ' || l.account_id || ' follows it', '') AS message
FROM sums s LEFT JOIN sleeves l ON l.model_id = s.model_id
