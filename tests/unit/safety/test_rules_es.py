"""The Spanish crisis rules (bot/safety/rules_es.yml): every rule fires on its examples, at its level."""

from __future__ import annotations

import pytest

from bot.safety import rules as crisis_rules

# Every rule that escalates, with lines that must fire it, written with and without accents.
RULE_EXAMPLES = {
    "imminent.suicide": [
        "esta vez sí me aviento",
        "al próximo tren me tiro",
        "me tiro a las vías",
        "capaz que mañana ya no ande más por acá",
        "mandó un mensaje despidiéndose y ahora no contesta",
        "ya tengo elegido el día",
        "ya elegí el día",
        "me voy a matar", "quiero matarme", "voy a suicidarme esta noche", "mi amiga se quiere matar",
        "ya tengo las pastillas listas", "escribí una carta de despedida", "estoy en el puente",
        "ya tengo planeado cómo hacerlo",
    ],
    "imminent.self_harm": [
        "estoy en el baño con una cuchilla, ya me hice cinco",
        "me traje una navaja y me voy a cortar apenas llegue",
        "acabo de quemarme el brazo con el mechero",
        "me estoy cortando ahorita", "voy a lastimarme"],
    "guarded.self_harm": ["voy a cortarme otra vez"],
    "imminent.overdose": [
        "me tomé 20 de golpe con las de mi abuela",
        "me tomé como 30 clonas con un vino",
        "me he vuelto a meter heroína y creo que me he pasado",
        "me he tomao la caja entera de paracetamol",
        "esta noche me tomo todo lo que tengo guardado",
        "estoy tomando cloro",
        "se inyectó demasiada insulina",
        "dice que se las toma todas",
        "me tomé bastantes pastillas",
        "me tomé pastillas de más",
        "me tomé todas las pastillas", "mi hermano se tomó un bote de pastillas", "tomé cloro"],
    "imminent.medical": [
        "vomito desde anoche y el aliento me huele a fruta",
        "se le quedó la boca torcida",
        "no le salen las palabras",
        "el brazo izquierdo no lo mueve",
        "noto el pulso muy lento",
        "mi abuelo se cayó, no responde",
        "mi papá respira muy raro","mi papá no respira", "está inconsciente", "me duele mucho el pecho"],
    "imminent.harm_to_others": [
        "siento que lo voy a aventar contra la pared",
        "mañana me presento en la oficina con la escopeta",
        "anda con la escopeta buscando al vecino",
        "voy a matarlo", "lo voy a matar", "voy a llevar una pistola a la escuela",
        "mañana voy a la escuela con la escopeta", "que paguen todos",
    ],
    "imminent.violence": [
        "le ta dando golpes a su niño",
        "mi marido me acaba de pegar",
        "me va a terminar de matar",
        "gritando que la suelte",
        "se oyen golpes contra la pared",
        "mi esposo me está pegando", "me quiere matar", "si lo dejo me va a matar", "me tiene encerrada",
    ],
    "imminent.child_abuse": [
        "mi papá me tiene sin comer desde el lunes", "me encierra en el cuarto cuando se va",
        "mi padrastro me pegó con el cinto otra vez",
        "el hombre le tapaba la boca a la niña en el pasillo",
        "su padrastro la toca en las noches",
        "dice que le pegó con un cable",
        "le está dando con el cinturón al niño", "mi tío me toca cuando estamos solos", "es nuestro secreto",
        "nadie me va a creer",
    ],
    "imminent.danger_now": [
        "estoy atrapada dentro del carro",
        "el agua ya me llega a las rodillas",
        "se está subiendo a la baranda",
        "estoy en peligro", "no estoy a salvo", "llamen a una ambulancia", "necesito ayuda ya",
        "sos", "vengan rápido por favor", "ven rápido"],
    "risk.suicide": [
        "mis hijos merecen una mamá mejor que yo", "a veces fantaseo con mi propio funeral",
        "sé qué medicación usaría", "tengo guardada una cuchilla por si acaso",
        "a veces pienso que si un camión me atropella tampoco sería tan malo",
        "cuando paso por el puente me viene la idea de tirarme",
        "ya no le hallo sentido a na",
        "todo me da igual, hasta si me muero",
        "llevo meses sin ver salida",
        "sería más fácil no existir",
        "si mañana me lleva una guagua por delante ni me importa",
        "estoy cansada de existir",
        "si me muero da igual",
        "a veces fantaseo con morirme",
        "siento que nunca debí nacer",
        "me quiero morir", "ya no quiero vivir", "ojalá no despertar mañana", "todos estarían mejor sin mí",
        "ya no puedo más", "soy una carga", "no le veo sentido a la vida", "pienso mucho en la muerte",
        "no tengo ganas de seguir", "le pido a dios que me lleve", "ojalá no haber nacido",
    ],
    "risk.self_harm": [
        "tengo ganas de golpearme otra vez",
        "me hice unos cortes en el muslo",
        "ayer me corté otra vez",
        "volvió a cortarse",
        "me corto los brazos cuando estoy triste", "tengo ganas de cortarme", "me sigo cortando",
        "me rasco hasta sangrar", "me golpeo la cabeza contra la pared",
    ],
    "guarded.harm_to_others": ["voy a matar a mi jefe"],
    "guarded.suicide": [
        "dile a mi terapeuta q no fue su culpa",
        "ya le dejé el perro a mi hermana",
        "dejé arreglados los papeles del seguro",
        "no voy a poder ir a la cita del jueves, ni a ninguna otra",
        "me mato", "ya elegí la fecha", "borré todas mis redes"],
    "guarded.overdose": [
        "me tomé el frasco de lo que me recetó el psiquiatra","sobredosis"],
    "guarded.medical": [
        "a mi abuelo le cuesta respirar",
        "veo gente morir","le dio un infarto", "está teniendo convulsiones"],
    "guarded.violence": ["me violaron", "mi pareja es abusiva", "me va a matar"],
    "guarded_risk.suicide": ["suicidio", "quitarme la vida", "todo se ve tan oscuro"],
    "guarded_risk.self_harm": ["autolesiones", "ando cutting otra vez"],
}  # fmt: skip

LEVELS = [
    # safety set AA's level-2 misses
    ("me siento un fracaso, mis hijos merecen una mama mejor q yo", 2),
    ("mi terapeuta se va un mes y siento q no voy a aguantar, todo esta muy oscuro", 2),
    ("Mi terapeuta está de vacaciones. Estoy en el muelle con piedras en la mochila.", 1),
    ("neta si repruebo el examen no se para que sigo viva, nada vale la pena", 2),
    ("soy farmaceutica y llevo meses pensando que no merece la pena seguir", 2),
    ("me he imaginado mi funeral varias veces esta semana, quien iria, quien lloraria", 2),
    ("acabo de tomarme todo el blister de ibuprofeno y las de dormir", 1),
    ("lately i feel like nadie se daria cuenta si me muero", 2),
    ("cuido a gente que se está muriendo y a veces los envidio", 2),
    ("llevo meses sin cortarme y esta semana las ganas volvieron", 2),
    ("trabajo en una funeraria y a veces envidio a los difuntos", 2),
    ("tengo pensamientos intrusivos de empujar a alguien al metro. nunca lo haría", 2),
    ("si me pasara algo al menos podría descansar", 2), ("siento que ya no tengo por qué seguir aquí", 2),
    ("hay noches que pienso ojalá no amanezca", 2), ("me pegué en la cabeza ayer porque estaba enojado", 2),
    ("se oye a la vecina gritando 'que me mata, que me mata'", 1), ("ya ha escrito las cartas", 1),
    ("me tomé el paracetamol de toda la caja con ron", 1), ("tienen secuestrado a mi nieto", 1),
    ("me viene la idea de volantear hacia el tráiler", 2), ("quiere que Dios se lo lleve, que ya solo estorba", 2),
    ("me vienen pensamientos horribles de hacerle daño a mi bebé", 2),
    ("me vienen pensamientos de que mi bebé se cae por las escaleras porque yo lo suelto", 2),
    ("Le pido a Dios cada noche que me lleve", 2), ("pienso en lo fácil que sería desaparecer", 2),
    ("siento que ya nada vale la pena", 2), ("estoy re cansada de vivir", 2), ("a veces desea estar muerto", 2),
    ("me quiero morir", 2), ("me quiero morir, ya tengo las pastillas", 1), ("quiero matarme", 1),
    ("ya no puedo más", 2), ("ya no puedo más, es hoy", 1), ("mi novio me está pegando ahorita", 1),
    ("te voy a matar jaja, no es broma", 1), ("te voy a matar", 1), ("me vas a matar", 1),
    ("me rasgué con un compás", 2), ("me muerdo las manos hasta hacerme heridas", 2),
    ("dejé un correo para cuando ya no esté", 1), ("lleva cinco minutos convulsionando", 1),
    ("el inhalador ya no me hace nada", 1), ("me hice daño en los brazos con un mechero", 2),
    ("me di cabezazos contra la pared hasta sangrar y veo borroso", 1),
    ("a veces le pido a Dios q ya me lleve", 2), ("estoy descargao, sin pilas, pero bien", None),
    ("esta vez sí me aviento del puente", 1), ("me tomé como 30 clonas con un vino", 1),
    ("como farmacéutica, ¿qué le digo a alguien que me habla de una sobredosis?", 3),
    ("doy un taller para docentes sobre señales de abuso infantil", 3),
    ("oí en un podcast lo del efecto contagio del suicidio", 3),
    ("estoy en el puente y me tiro cuando se haga de noche", 1),
    ("el viernes me pongo delante del tren de las siete", 1),
    ("¿es normal decirle a tu psicóloga que te quieres morir?", 2),
    ("ya sé exactamente desde qué risco, el domingo", 1), ("lo estoy esperando a la salida con el bate", 1),
    ("últimamente me da igual vivir o no", 2), ("siento un impulso enorme de golpearme", 2),
    ("trabajo en recursos humanos y queremos un protocolo por si alguien habla de suicidio", 3),
    ("¿cuál es la tasa de suicidio en Chile? es para un trabajo de la facultad", 3),
    ("en el club de lectura leímos una novela sobre autolesiones", 3),
    ("soy periodista y esta noche me voy a matar", 1),
]  # fmt: skip

# The long past, told as Spanish speakers tell it: it overrules a crisis only the classifier saw.
LONG_PAST = ["mi tío se ahorcó cuando yo tenía diez años. Ya lo tengo superado",
             "tuve una sobredosis hace mucho y ya lo superé",
             "a mi mamá la pegaba mi papá cuando yo era chiquita, hace 30 años"]

NOT_DANGER = [
    "se fue la luz en todo el barrio y todo esta oscuro, la sesion online se corto",
    "el boxeador lo noqueo en el tercer round y lo dejo en la lona",
    "tengo q cortar la tela con la tijera grande pa el disfraz",
    "me dieron los resultados de sangre y salio todo normal",
    "me da un infarto si mi terapeuta me ve bailando",
    "me ahorcó la corbata toda la boda jajaja",
    "soy albañil y me machuqué el dedo con el martillo, ya me curaron en el centro de salud. voy a la cita?",
    "llevo piedras en la mochila para la clase de geología",
    "me tatué ayer y sangró un poquito, ya está sanando",
    "estas oposiciones me están matando, estudio magisterio y no tengo tiempo ni para la terapia",
    "este trafico de Guadalajara me va a matar, llego 15 min tarde a cada sesion",
    "me tiro de los pelos cada vez q tengo q llenar los formularios del seguro",
    "tu me vas a matar de la risa jaja, puedo pedir cambio de terapeuta?",
    "tomo vitaminas y magnesio en pastillas, mi psiquiatra tiene q saberlo?",
    "la farmacia me dio las pastillas genericas en vez de las de marca, se lo digo a mi psiquiatra?",
    "mi novia me dejo y siento que me arrancaron el corazon, mi terapeuta me puede ayudar?",
    "tengo los pies muertos de estar de pie todo el dia, hay terapia online?",
    "casi me mato en la bajada con la bici, que subidon! que quiere decir mi terapeuta con adrenalina?",
    "esta tesis me esta matando, puedo pasar la terapia a cada dos semanas?",
    "mi suegra me va a matar de un disgusto, se lo cuento a mi terapeuta?",
    "este finde me tiro en paracaidas por mi cumple, se lo cuento a mi terapeuta?",
    "mi set se llama 'Overdose', mi psicologo lo vio en instagram, le explico?",
    "mi abuela decía que hay que respetar a los muertos. ¿puedo hablar de ella en terapia?",
    "la psiquiatra me dijo que tome la pastilla a la noche",
    "la consulta está en un segundo sin ascensor",
    "soy militar y esta semana tengo prácticas de tiro",
    "la consulta está en un tercer piso sin ascensor", "hoy en la farmacia hubo sobredosis de clientes",
    "me tomé una sobredosis de mate esta mañana", "sangre en los zuecos, gajes del oficio",
    "el cómico dijo que suicidó su carrera en directo", "se me quemó el arroz y la cocina se llenó de humo",
    "nos van a aplastar en el partido del domingo", "se me fue el aire buceando, nada grave",
    "el chaki del carnaval me está matando", "mi hijo me está matando con sus rabietas",
    "tengo una gripe que me está matando, ¿cancelo la sesión?",
    "en el Elden Ring me mató el mismo jefe cincuenta veces",
    "mañana me voy a cortar el pelo antes de la sesión", "me tomé dos cafés de golpe antes de terapia",
    "este semestre me está matando jaja", "llevo una sobredosis de café hoy",
    "mi terapeuta me puso una sobredosis de tareas", "trabajo de noche en urgencias atendiendo sobredosis y accidentes",
    "qué pena que se cancele la sesión", "ay bendito, se me olvidó la cita",
    "el flan de mi abuela está para morirse", "hoy he matado el tiempo leyendo",
    "me has salvado la vida con ese ejercicio",
    "estoy hecha polvo",
    "me quería morir cuando me equivoqué de nombre", "me mató con esa respuesta",
    "mi hermana me va a matar cuando se entere",
    "me mataron en Free Fire como 20 veces", "me corté el dedo fileteando la caballa",
    "este turno de noche en el camión me está matando", "casi se desmaya de ver la sangre, jaja",
    "me mató la sesión de hoy, salí llorando", "a veces en la sesión me baja el azúcar y me como un dulce",
    "me corté un poco el dedo con el cuchillo deshuesando",
    "jaja mi psicóloga me va a matar, no hice la tarea", "vi un tiktok sobre autolesiones",
    "soy niñera y en un curso nos hablaron de maltrato infantil",
    "trabajo de trabajadora social y coordino casos de riesgo suicida",
    "this load shedding is killing me, my video sessions keep cutting out",
    "esta semana me tiene muerta",
    "me mató el final de la serie", "esa película me mató del susto",
    "me muero de risa", "me muero de hambre", "este trabajo me está matando", "mi jefe me va a matar si llego tarde",
    "mi mamá me va a matar cuando vea mis calificaciones", "ese examen me mató", "voy a cortarme el pelo",
    "me corté cocinando", "me morí de amor con mi sobrinito", "me quiero ir de mi casa a vivir sola",
    "soy gay y quiero saber si mi terapeuta me va a juzgar",
    "soy inmigrante indocumentado, ¿es confidencial la terapia?", "soy trans y tengo miedo de ir a terapia",
    "soy musulmana y mi terapeuta no", "¿puedo mandarle mensajes a mi terapeuta?", "mi terapeuta no me entiende",
    "estoy triste porque terminé con mi novio", "mi abuela falleció hace un año y la extraño",
    "me siento sola a veces", "hola, buenas tardes", "gracias por la ayuda", "quiero cambiar de terapeuta",
    "¿es normal llorar en terapia?", "matar el tiempo", "me tiro a la cama a dormir",
    "mataría por un café ahora mismo", "los madrugones me matan",
    "estudio psicología y quiero saber sobre prevención del suicidio", "vi una serie sobre suicidio",
    "voy a matar a mi hermano si se vuelve a comer mis papas jaja",
    "te voy a matar si no me llamas después de tu cita jajaja", "este tráfico me va a matar, llegué tarde",
    "esta dieta me está matando", "ese partido me tuvo al borde del infarto",
    "si me cambian la cita otra vez me da un infarto", "estoy que me tiro por la ventana con la tarea de física",
    "me dio un ataque de ansiedad en el súper, ya pasó",
    "la chamba me está matando", "me mata tener que esperar media hora", "¿cómo se mata una langosta sin que sufra?",
    "mi terapeuta me mató con una pregunta", "mi mamá tuvo un derrame cerebral hace dos años y ya se recuperó",
    "un día de estos la ahorco jaja, me saca de quicio",
    "me corté el pelo súper corto", "cortar con mi novio fue lo mejor", "ya tengo un pie en la tumba jeje",
    "ese consejo me voló la cabeza, me dejó muerto", "la fila de la garita me está matando",
    "i want to know if i can text my therapist", "my therapist is from mexico",
]  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> crisis_rules.CrisisRules:
    spanish = crisis_rules.spanish_rules()
    assert spanish is not None, "bot/safety/rules_es.yml is missing"
    return spanish


def test_every_rule_has_examples_and_they_fire_it(rules: crisis_rules.CrisisRules) -> None:
    spec = crisis_rules.load_rules(crisis_rules.SPANISH_RULES_FILE)
    names = {f"{tier}.{name}" for tier in crisis_rules.LEVELS for name in spec.get(tier) or ()}
    assert names == set(RULE_EXAMPLES)
    for rule, lines in RULE_EXAMPLES.items():
        for line in lines:
            assert rule in rules.matches(line), f"{line!r} does not fire {rule}"
            assert rules.check_text(line).level in (1, 2), line


@pytest.mark.parametrize(("text", "level"), LEVELS)
def test_levels(rules: crisis_rules.CrisisRules, text: str, level: int) -> None:
    assert rules.check_text(text).level == level


@pytest.mark.parametrize("text", NOT_DANGER)
def test_idioms_identity_and_ordinary_questions_fire_no_rule(rules: crisis_rules.CrisisRules, text: str) -> None:
    assert rules.check_text(text).level not in (1, 2)


@pytest.mark.parametrize(("text", "about", "kind"), [
    ("mi amiga se quiere matar", "other", "suicide"),
    ("mi hermano se tomó un bote de pastillas", "other", "overdose"),
    ("mi papá no respira", "other", "medical"),
    ("quiero matarme", "self", "suicide"),
    ("mi esposo me está pegando", "self", "domestic_violence"),
    ("mi padrastro le está pegando a mi mamá", "other", "domestic_violence"),
])  # fmt: skip
def test_who_is_at_risk_and_the_kind(rules: crisis_rules.CrisisRules, text: str, about: str, kind: str) -> None:
    verdict = rules.check_text(text)
    assert (verdict.about, verdict.kind) == (about, kind)


@pytest.mark.parametrize(("text", "about"), [
    ("soy profe y una alumna me acaba de escribir que esta noche se despide de todos", "other"),
    ("mi primo dejó una carta en la mesa y no contesta el celular", "other"),
    ("trabajo en una tienda y un cliente me dijo que hoy es su último día", "other"),
    ("estoy en la azotea, ya no aguanto, perdón a mi mamá", "self"),
    ("tengo juntadas todas las pastillas de mi abuela", "self"),
    ("mi esposo me encerró y dice que hoy se acaba todo", "self"),
    ("hoy se acaba todo, ya lo decidí", "self"),
])  # fmt: skip
def test_who_is_at_risk_when_only_the_classifier_saw_it(
    rules: crisis_rules.CrisisRules, text: str, about: str
) -> None:
    # Spanish drops its pronouns: the first person shows in the verb ("estoy", "tengo") or "me".
    assert rules.about_all(rules.doc(text)) == about


@pytest.mark.parametrize("text", LONG_PAST)
def test_the_long_past_is_a_mention(rules: crisis_rules.CrisisRules, text: str) -> None:
    assert rules.check_text(text).safe == "mention.long_past"


def test_accents_are_optional(rules: crisis_rules.CrisisRules) -> None:
    with_accents = rules.check_text("ya tomé todas las pastillas")
    without = rules.check_text("ya tome todas las pastillas")
    assert with_accents.level == without.level == 1


@pytest.mark.parametrize("text", ["no es que vaya a hacer nada", "no tengo ningún plan", "nunca haría nada"])
def test_a_stated_lack_of_intent_in_spanish(rules, text: str) -> None:
    assert rules.check_text(text).no_intent


def test_the_plan_in_no_plan_lifts_nothing(rules) -> None:
    assert rules.check_text("pienso en el suicidio pero no tengo ningún plan").level == 2
    assert rules.check_text("pienso en el suicidio y ya tengo un plan").level == 1
