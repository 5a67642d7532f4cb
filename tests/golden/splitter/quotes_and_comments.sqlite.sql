SELECT 'it''s; fine', 'a -- b', "col;name", `back;tick`, [br;acket] FROM t; SELECT 2;
-- a line comment with ; and ' and " in it
SELECT 3 -- trailing comment; still statement 3
;
/* block; comment */ SELECT /* inner; */ 4;
/* sqlite does not nest: /* this ends here */ SELECT 5;
SELECT 6 - 1, 6 / 2, '' AS empty, "a""b;" AS dq; SELECT 'multi
line; string' AS s;;;
SELECT 7 AS "--not a comment", '/* not a comment */' AS x;
