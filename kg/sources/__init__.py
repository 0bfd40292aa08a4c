"""One parser per release format. Each streams its file and yields plain records (dicts);
each checks the header it expects and fails with the file name and line number otherwise."""
