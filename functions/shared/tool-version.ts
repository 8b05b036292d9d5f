/** The package version, recorded in every plan and manifest; bundled, since a Lambda has no package.json. */
import packageJson from '../../package.json' with { type: 'json' };

export const TOOL_VERSION: string = packageJson.version;
