// Small enhancements only; the pages work without this file.
"use strict";
