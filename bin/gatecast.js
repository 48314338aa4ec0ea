#!/usr/bin/env node
import '../dist/cli/gatecast.js';
