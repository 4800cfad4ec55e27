import packageJson from '../package.json' with { type: 'json' };

/** The version of @jailwright/core that built a jail; recorded in every manifest. */
export const ENGINE_VERSION: string = packageJson.version;
