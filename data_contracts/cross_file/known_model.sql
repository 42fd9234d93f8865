-- rule: known_model
-- action: quarantine
-- A sleeve follows a model delivered in models (issue 19), or holds cash (model_id CASH). A
-- sleeve naming another model is refused, and its account held.
SELECT 'sleeves' AS file, _row AS "row", 'model_id' AS "column", model_id AS value, account_id,
       CASE WHEN model_id IN (SELECT model_id FROM models_all)
            THEN 'model ' || model_id || ' was refused in models'
            ELSE 'model ' || model_id || ' is not in models' END AS message
FROM sleeves
WHERE model_id <> 'CASH' AND model_id NOT IN (SELECT model_id FROM models)
