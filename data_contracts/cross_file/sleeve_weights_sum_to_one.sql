-- rule: sleeve_weights_sum_to_one
-- action: hold
-- The sleeves of an account (a cash sleeve included) share the whole account (issue 19): their
-- clean target weights sum to 1 within settings.validation.benchmark_weight_tolerance. An account
-- whose sleeves do not (including one that lost a refused sleeve) is held.
SELECT 'sleeves' AS file, NULL AS "row", 'target_weight' AS "column",
       CAST(sum(target_weight) AS VARCHAR) AS value, account_id,
       'the sleeves of account ' || account_id || ' sum to '
       || CAST(round(sum(target_weight), 9) AS VARCHAR) || ', not 1' AS message
FROM sleeves
GROUP BY account_id
HAVING abs(sum(target_weight) - 1) > $benchmark_weight_tolerance
