-- rule: uma_has_sleeves
-- action: hold
-- A UMA account is implemented through its sleeves (issue 19): one without a clean sleeve has
-- no target and is held.
SELECT 'accounts' AS file, NULL AS "row", 'implementation' AS "column",
       implementation AS value, account_id,
       'UMA account ' || account_id || ' has no sleeves' AS message
FROM accounts
WHERE implementation = 'UMA' AND account_id NOT IN (SELECT account_id FROM sleeves)
