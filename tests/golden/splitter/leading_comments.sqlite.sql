-- File header, separated from the first statement by a blank line.

-- dbtool:lint-ignore D1-PRAGMA needed for the rebuild
--   second line of the explanation
PRAGMA foreign_keys = OFF;
SELECT 1; -- trailing remark about SELECT 1, not a lead-in
SELECT 2;
-- belongs to nothing: an empty statement follows
;
SELECT 3;
-- first lead-in
/* a block comment does not break the block */
-- second lead-in
SELECT 4;
-- before a blank line

SELECT 5;
    -- indented lead-in
    SELECT 6;
