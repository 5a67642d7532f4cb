SELECT E'it\'s; escaped', e'back\\slash;', 'plain '' quote;' AS a;
SELECT 'C:\' AS standard_string_ends_at_quote; SELECT 'next';
SELECT "semi;colon" AS "dash--dash", "a""b;" FROM "t;1";
SELECT U&'d\0061t\+000061;' AS u, B'101' AS b, X'1F' AS x;
SELECT nameE'x;y' AS weird_but_plain; SELECT 'line one;
line two' AS multi;
INSERT INTO t (a) VALUES ('-- not a comment'), ('/* nor this; */');
