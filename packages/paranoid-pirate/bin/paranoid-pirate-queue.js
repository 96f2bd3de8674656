#!/usr/bin/env node
// `paranoid-pirate-queue`: committed so npm links it at install time, before dist/ is built.
import "../dist/cli.js";
