-- only comments here; nothing runs
/* not even
   this; */
-- end
