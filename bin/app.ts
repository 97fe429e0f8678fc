#!/usr/bin/env node
import { createApp } from '../lib/app';

// `npx cdk synth|deploy [CloudSweep|CloudSweepMember]`; settings come from cdk.json and -c key=value.
createApp().app.synth();
