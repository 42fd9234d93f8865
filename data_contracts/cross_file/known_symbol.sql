-- rule: known_symbol
-- action: quarantine
-- Every symbol named anywhere in the inbox (prices, benchmarks, lots, positions, restrictions,
-- tilts, transactions, corporate actions and the new_symbol they hand out, models) is a security
-- of the security master with a clean row (the engine must know the sector of what a client
-- receives).
-- The row naming an unknown symbol is refused and its account held.
SELECT 'prices' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       NULL AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM prices WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'benchmarks' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       NULL AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM benchmarks WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'lots' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       account_id AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM lots WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'positions' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       account_id AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM positions WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'restrictions' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       account_id AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM restrictions WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'tilts' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       account_id AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM tilts WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'transactions' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       account_id AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM transactions WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'corporate_actions' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       NULL AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM corporate_actions WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'corporate_actions' AS file, _row AS "row", 'new_symbol' AS "column", new_symbol AS value,
       NULL AS account_id,
       CASE WHEN new_symbol IN (SELECT symbol FROM securities_all)
            THEN 'new_symbol ' || new_symbol || ' was refused in securities'
            ELSE 'new_symbol ' || new_symbol || ' is not in securities' END AS message
FROM corporate_actions
WHERE new_symbol IS NOT NULL AND new_symbol NOT IN (SELECT symbol FROM securities)
UNION ALL
SELECT 'models' AS file, _row AS "row", 'symbol' AS "column", symbol AS value,
       NULL AS account_id,
       CASE WHEN symbol IN (SELECT symbol FROM securities_all)
            THEN 'symbol ' || symbol || ' was refused in securities'
            ELSE 'symbol ' || symbol || ' is not in securities' END AS message
FROM models WHERE symbol IS NOT NULL AND symbol NOT IN (SELECT symbol FROM securities)
