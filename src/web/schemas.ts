/** JSON schemas of the routes, strict: an unknown field is a 400 naming it, not silently dropped. */

type Properties = Record<string, Record<string, unknown>>;

const strict = (properties: Properties, required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length ? { required } : {}),
});

export const querySchema = (properties: Properties, required: string[] = []) => ({
  schema: { querystring: strict(properties, required) },
});

export const bodySchema = (properties: Properties, required: string[] = []) => strict(properties, required);

export const TIME_TEXT = { type: 'string', minLength: 1, maxLength: 40 } as const;
export const ID_TEXT = { type: 'string', minLength: 1, maxLength: 64 } as const;
