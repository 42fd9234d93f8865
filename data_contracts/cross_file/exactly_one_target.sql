-- rule: exactly_one_target
-- action: quarantine
-- A restriction names exactly one of symbol, sector, esg_tag; a tilt exactly one of sector,
-- symbol (PRODUCT.md, inbox contract). A row naming none or several is refused, its account held.
SELECT 'restrictions' AS file, _row AS "row", 'symbol|sector|esg_tag' AS "column",
       concat_ws('|', coalesce(symbol, ''), coalesce(sector, ''), coalesce(esg_tag, '')) AS value,
       account_id,
       'a restriction names exactly one of symbol, sector, esg_tag' AS message
FROM restrictions
WHERE (symbol IS NOT NULL)::INT + (sector IS NOT NULL)::INT + (esg_tag IS NOT NULL)::INT <> 1
UNION ALL
SELECT 'tilts', _row, 'sector|symbol',
       concat_ws('|', coalesce(sector, ''), coalesce(symbol, '')),
       account_id,
       'a tilt names exactly one of sector, symbol'
FROM tilts
WHERE (sector IS NOT NULL)::INT + (symbol IS NOT NULL)::INT <> 1
