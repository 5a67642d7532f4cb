-- nothing to run; here
/* nested /* comment; */ only */
