#!/usr/bin/env node
// `binary-star-server`: committed so npm links it at install time, before dist/ is built.
import "../dist/cli.js";
