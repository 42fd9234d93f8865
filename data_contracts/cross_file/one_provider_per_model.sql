-- rule: one_provider_per_model
-- action: quarantine
-- A sleeve names its model by model_id alone, so a model_id belongs to one provider, and CASH
-- names the cash sleeve, never a model (issue 19). Every row of a model_id delivered by two
-- providers is refused, since which one the sleeves mean is unknown; so is a model called CASH.
WITH shared AS (
    SELECT model_id FROM models GROUP BY model_id HAVING count(DISTINCT provider_id) > 1
)
SELECT 'models' AS file, _row AS "row", 'model_id' AS "column", model_id AS value,
       NULL AS account_id,
       CASE WHEN model_id = 'CASH' THEN 'CASH names the cash sleeve, not a model'
            ELSE 'model ' || model_id || ' is delivered by more than one provider' END AS message
FROM models
WHERE model_id = 'CASH' OR model_id IN (SELECT model_id FROM shared)
