/**
 * The enrolment feature as one fastify plugin: the device's one-time enrolment (public: the token
 * in the body is the credential).
 *
 *   POST /api/enrol   EnrolRequest {v, token, publicKey, appVersion?} → EnrolResponse
 *                     (403 ENROL_TOKEN_*, 409 ENROL_KEY_IN_USE, 404 ENROL_GATE_UNKNOWN, 503 ENROL_NO_TRUST_ROOT)
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ENROL_PATH, EnrolRequest } from '../../protocol/messages.js';
import type { Enrolment } from './enrolment.js';

export interface EnrolmentFeatureOptions {
  enrolment: Enrolment;
}

export const enrolmentFeature: FastifyPluginAsyncZod<EnrolmentFeatureOptions> = async (app, o) => {
  app.post(
    ENROL_PATH,
    {
      config: { access: 'public' },
      schema: {
        summary: 'Enrol a device with a one-time token and its public key',
        tags: ['enrolment'],
        body: EnrolRequest,
      },
    },
    async (request) => o.enrolment.enrol(request.body),
  );
};
