#!/usr/bin/env node
// `zmq-reliable-keygen`: committed so npm links it at install time, before dist/ is built.
import "../dist/io/keygen-cli.js";
