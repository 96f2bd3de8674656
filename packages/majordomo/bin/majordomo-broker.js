#!/usr/bin/env node
// `majordomo-broker`: committed so npm links it at install time, before dist/ is built.
import "../dist/cli.js";
